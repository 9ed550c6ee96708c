"""BatchNormalization with Keras 3 semantics on ``F.batch_norm``.

Stored as ``torch.nn.BatchNorm*`` stores it (``weight``, ``bias``, ``running_mean``,
``running_var``), so a layer's ``state_dict`` loads into the matching torch module. Where Keras
and torch differ, Keras wins:

* the moving statistics follow ``moving = moving * momentum + batch * (1 - momentum)`` with the
  *biased* batch variance; torch would blend in the unbiased one. The batch statistics are
  therefore taken from torch's fused kernel through scratch buffers and the moving ones
  updated here, in place, without autograd and without a host sync;
* batch statistics are used only when the call is training *and* the layer is trainable: a
  frozen BatchNormalization normalizes with its moving statistics, as in Keras 3 and tf.keras.

The per-sample normalizations (LayerNormalization, GroupNormalization, UnitNormalization) follow
at the end; they have no moving state and behave the same in training and inference.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import torch
import torch.nn.functional as F

from kerasish import constraints, initializers, regularizers
from kerasish.layers.base import Layer
from kerasish.layers.batch_norm_options import BatchNormOptions, unshift_virtual_batch_axis
from kerasish.layers.input_spec import InputSpec


class GammaBeta:
    """Mixin for the normalizations with a learned scale ``gamma`` and offset ``beta`` (torch's
    ``weight`` and ``bias``): their arguments, weights and config entries are Keras' in all."""

    def _init_gamma_beta(
        self,
        beta_initializer: Any,
        gamma_initializer: Any,
        beta_regularizer: Any,
        gamma_regularizer: Any,
        beta_constraint: Any,
        gamma_constraint: Any,
    ) -> None:
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _add_gamma_beta(self, shape: tuple, scale: bool, center: bool) -> None:
        """``gamma`` if ``scale``, ``beta`` if ``center``; the torch name of one left out is None."""
        if scale:
            self.add_weight(
                "gamma",
                shape=shape,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        else:
            self.weight = None
        if center:
            self.add_weight(
                "beta",
                shape=shape,
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )
        else:
            self.bias = None

    # Keras-named views of the torch-named tensors.
    @property
    def gamma(self) -> Optional[torch.Tensor]:
        return self.weight if self.built else None

    @property
    def beta(self) -> Optional[torch.Tensor]:
        return self.bias if self.built else None

    def _gamma_beta_config(self, **serialized_initializers: Any) -> dict:
        """The entries in Keras' order; BatchNormalization's moving-statistics initializers
        (``serialized_initializers``) go after gamma's."""
        return {
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            **serialized_initializers,
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


class BatchNormalization(BatchNormOptions, GammaBeta, Layer):
    """Normalize over every axis but ``axis`` with batch (training) or moving statistics.

    tf.keras' ``renorm``, ``virtual_batch_size`` and ``adjustment`` are in ``BatchNormOptions``.
    """

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        renorm: bool = False,
        renorm_clipping: Optional[dict] = None,
        renorm_momentum: float = 0.99,
        synchronized: bool = False,
        virtual_batch_size: Optional[int] = None,
        adjustment: Optional[Callable[[torch.Size], Any]] = None,
        **kwargs: Any,
    ) -> None:
        # tf.keras' `fused` only picks a kernel; the math is the same.
        fused = kwargs.pop("fused", None)
        super().__init__(**kwargs)
        if synchronized:
            raise ValueError(
                "Argument synchronized=True is only supported with the TensorFlow backend."
            )
        self.axis = _single_axis(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self._init_gamma_beta(
            beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
            beta_constraint, gamma_constraint,
        )
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self._init_options(
            renorm, renorm_clipping, renorm_momentum, virtual_batch_size, adjustment, fused
        )
        self.synchronized = False
        self.supports_masking = True

    # ------------------------------------------------------------------ build

    def build(self, input_shape: Sequence[Optional[int]]) -> None:
        input_shape = tuple(input_shape)
        _check_axes(input_shape, [self.axis], self.axis)
        ndim = len(input_shape)
        self._channel_axis = self.axis % ndim
        self._check_options(self._channel_axis)
        size = input_shape[self.axis]
        if size is None:
            raise ValueError(
                f"Axis {self.axis} of the input to BatchNormalization layer '{self.name}' "
                f"should have a defined dimension. Received input shape {input_shape}."
            )
        shape = (size,)
        self._add_gamma_beta(shape, self.scale, self.center)
        self.add_weight(
            "moving_mean", shape=shape, initializer=self.moving_mean_initializer, trainable=False
        )
        self.add_weight(
            "moving_variance",
            shape=shape,
            initializer=self.moving_variance_initializer,
            trainable=False,
        )
        self._add_option_weights(shape, ndim)
        self._reduction_axes = tuple(i for i in range(ndim) if i != self._channel_axis)
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: size})
        self.built = True

    @property
    def moving_mean(self) -> Optional[torch.Tensor]:
        return self.running_mean if self.built else None

    @property
    def moving_variance(self) -> Optional[torch.Tensor]:
        return self.running_var if self.built else None

    # ------------------------------------------------------------------- call

    def call(
        self,
        inputs: torch.Tensor,
        training: Optional[bool] = None,
        mask: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        if training is None:
            training = self.training
        if mask is not None and mask.ndim != inputs.ndim - 1:
            raise ValueError(
                "The mask provided should be one dimension less than the inputs. Received: "
                f"mask.shape={tuple(mask.shape)}, inputs.shape={tuple(inputs.shape)}"
            )
        if not (training and self.trainable):
            return self._normalize(inputs, self.running_mean, self.running_var)
        if self._has_options:
            return self._train_with_options(inputs, mask)
        if mask is None and _values_per_channel(inputs, self._channel_axis) > 1:
            return self._train_fused(inputs)
        mean, variance = self._moments(inputs, mask)
        self._update_moving(mean, variance)
        return self._affine(inputs, mean, variance)

    def _normalize(
        self, inputs: torch.Tensor, mean: torch.Tensor, variance: torch.Tensor
    ) -> torch.Tensor:
        """Inference: ``F.batch_norm`` with the given statistics, channels moved to axis 1."""
        x = inputs.movedim(self._channel_axis, 1) if self._channel_axis != 1 else inputs
        out = F.batch_norm(x, mean, variance, self.weight, self.bias, False, 0.0, self.epsilon)
        return out.movedim(1, self._channel_axis) if self._channel_axis != 1 else out

    def _train_fused(self, inputs: torch.Tensor) -> torch.Tensor:
        """Training through torch's fused kernel; its statistics land in scratch buffers.

        With ``momentum=1`` torch overwrites the scratch buffers with the batch mean and the
        unbiased batch variance; the biased variance Keras blends in is ``(n-1)/n`` of it.
        """
        channels = inputs.shape[self._channel_axis]
        batch_mean = torch.zeros(channels, dtype=self.running_mean.dtype, device=inputs.device)
        batch_var = torch.ones(channels, dtype=self.running_var.dtype, device=inputs.device)
        x = inputs.movedim(self._channel_axis, 1) if self._channel_axis != 1 else inputs
        out = F.batch_norm(
            x, batch_mean, batch_var, self.weight, self.bias, True, 1.0, self.epsilon
        )
        n = _values_per_channel(inputs, self._channel_axis)
        with torch.no_grad():
            self._update_moving(batch_mean, batch_var * ((n - 1) / n))
        return out.movedim(1, self._channel_axis) if self._channel_axis != 1 else out

    def _moments(
        self, inputs: torch.Tensor, mask: Optional[torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Batch mean and biased variance; with a mask, over the unmasked positions only."""
        axes = self._reduction_axes
        if mask is None:
            variance, mean = torch.var_mean(inputs, dim=axes, correction=0)
            return mean, variance
        keep = mask.to(torch.bool).unsqueeze(-1).expand_as(inputs)
        weight = keep.to(inputs.dtype).sum(dim=axes) + 1e-7
        mean = torch.where(keep, inputs, 0).sum(dim=axes) / weight
        centered = torch.where(keep, inputs - self._along_axis(mean, inputs.ndim), 0)
        return mean, centered.square().sum(dim=axes) / weight

    def _update_moving(self, mean: torch.Tensor, variance: torch.Tensor) -> None:
        momentum = self.momentum
        with torch.no_grad():
            self.running_mean.mul_(momentum).add_(mean.detach() * (1.0 - momentum))
            self.running_var.mul_(momentum).add_(variance.detach() * (1.0 - momentum))

    def _affine(
        self, inputs: torch.Tensor, mean: torch.Tensor, variance: torch.Tensor
    ) -> torch.Tensor:
        """Keras' formula on explicit statistics: ``(x - mean) * rsqrt(var + eps) * gamma + beta``."""
        factor = torch.rsqrt(variance + self.epsilon)
        if self.weight is not None:
            factor = factor * self.weight
        out = (inputs - self._along_axis(mean, inputs.ndim)) * self._along_axis(
            factor, inputs.ndim
        )
        if self.bias is not None:
            out = out + self._along_axis(self.bias, inputs.ndim)
        return out

    def _along_axis(self, vector: torch.Tensor, ndim: int) -> torch.Tensor:
        shape = [1] * ndim
        shape[self._channel_axis] = -1
        return vector.reshape(shape)

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = tuple(input_shape)
        _check_axes(input_shape, [self.axis], self.axis)
        return input_shape

    # ----------------------------------------------------- torch interoperability

    def _load_from_state_dict(
        self, state_dict: dict, prefix: str, *args: Any, **kwargs: Any
    ) -> None:
        # A torch BatchNorm's state_dict has a step counter Keras has no use for.
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    # ----------------------------------------------------------------- config

    def get_config(self) -> dict:
        # The keys tf.keras and Keras 3 both write; tf.keras' options only when set.
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **self._gamma_beta_config(
                moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
                moving_variance_initializer=initializers.serialize(
                    self.moving_variance_initializer
                ),
            ),
            **self._options_config(),
        }

    @classmethod
    def from_config(cls, config: dict) -> BatchNormalization:
        return cls(**unshift_virtual_batch_axis(config))


def _single_axis(axis: Any) -> int:
    """Keras 3 takes one int; tf.keras configs write it as a one-element list."""
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise ValueError(
                f"BatchNormalization in kerasish normalizes along one axis. Received: axis={axis}"
            )
        axis = axis[0]
    try:
        return int(axis)
    except (TypeError, ValueError):
        raise ValueError(f"Expected an int for `axis`. Received: axis={axis!r}") from None


def _values_per_channel(inputs: torch.Tensor, channel_axis: int) -> int:
    return inputs.numel() // max(inputs.shape[channel_axis], 1)


def _check_axes(input_shape: tuple, axes: Sequence[int], received: Any) -> None:
    for axis in axes:
        if not -len(input_shape) <= axis < len(input_shape):
            raise ValueError(
                f"Axis {axis} is out of bounds for input shape {input_shape}. "
                f"Received: axis={received}"
            )


# --------------------------------------------------------------- per-sample normalizations


def _in_float32(x: torch.Tensor) -> torch.Tensor:
    """Keras computes these statistics in at least float32, even for half-precision inputs."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


class LayerNormalization(GammaBeta, Layer):
    """Normalize each sample over ``axis`` (default: the features axis), then ``gamma``/``beta``.

    Stored as ``torch.nn.LayerNorm`` stores it (``weight``, ``bias``). When the axes are the
    trailing ones this is one ``F.layer_norm`` call; other axes use explicit moments. (Keras 3's
    own torch backend hands non-trailing axes to ``F.layer_norm`` too and so normalizes the
    wrong axis; kerasish computes what the layer documents, as Keras' other backends do.)
    ``rms_scaling=True`` is Keras' deprecated variant: divide by the standard deviation, no
    centring and no beta.
    """

    def __init__(
        self,
        axis: Any = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        rms_scaling = bool(kwargs.pop("rms_scaling", False))
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis: Any = list(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError(
                "Expected an int or a list/tuple of ints for the argument 'axis', but "
                f"received: {axis!r}"
            )
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
        self._init_gamma_beta(
            beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
            beta_constraint, gamma_constraint,
        )
        self.supports_masking = True

    def build(self, input_shape: Sequence[Optional[int]]) -> None:
        input_shape = tuple(input_shape)
        self.compute_output_shape(input_shape)
        axes = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        shape = tuple(input_shape[d] for d in axes)
        if any(d is None for d in shape):
            raise ValueError(
                f"LayerNormalization layer '{self.name}': the normalized axes {axes} of the "
                f"input must be known. Received input shape {input_shape}."
            )
        self.axis = axes
        self._add_gamma_beta(
            shape, self.scale or self.rms_scaling, self.center and not self.rms_scaling
        )
        ndim = len(input_shape)
        positive = [d % ndim for d in axes]
        self._reduce_axes = tuple(positive)
        self._broadcast_shape = tuple(
            input_shape[d] if d in positive else 1 for d in range(ndim)
        )
        self._normalized_shape = (
            shape if positive == list(range(ndim - len(axes), ndim)) else None
        )
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = _in_float32(inputs)
        if self.rms_scaling:
            variance = x.var(dim=self._reduce_axes, keepdim=True, correction=0)
            out = x * torch.rsqrt(variance + self.epsilon)
            if self.weight is not None:
                out = out * self.weight.reshape(self._broadcast_shape)
        elif self._normalized_shape is not None:
            out = F.layer_norm(x, self._normalized_shape, self.weight, self.bias, self.epsilon)
        else:
            variance, mean = torch.var_mean(x, dim=self._reduce_axes, keepdim=True, correction=0)
            inv = torch.rsqrt(variance + self.epsilon)
            if self.weight is not None:
                inv = inv * self.weight.reshape(self._broadcast_shape)
            shift = -mean * inv
            if self.bias is not None:
                shift = shift + self.bias.reshape(self._broadcast_shape)
            out = x * inv + shift
        return out.to(inputs.dtype)

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = tuple(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        _check_axes(input_shape, axes, self.axis)
        return input_shape

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **self._gamma_beta_config(),
        }
        if self.rms_scaling:  # a Keras 3 key that tf.keras does not accept
            config["rms_scaling"] = True
        return config


class GroupNormalization(GammaBeta, Layer):
    """Normalize each sample over groups of channels (``groups=-1``: instance normalization).

    One ``F.group_norm`` call with the channel axis moved to position 1; stored as
    ``torch.nn.GroupNorm`` stores it (``weight``, ``bias``). Keras' torch backend takes the
    variance as ``E[x^2] - E[x]^2``, which loses float32 digits when a group's mean is large
    against its spread; torch's kernel does not, so there the results differ by more than
    rounding, in kerasish's favour.
    """

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(groups, int) or (groups <= 0 and groups != -1):
            raise ValueError(
                "Received an invalid value for argument `groups`, expected a positive integer "
                f"(or `-1` for instance normalization). Received: groups={groups}"
            )
        super().__init__(**kwargs)
        self.supports_masking = True
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self._init_gamma_beta(
            beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
            beta_constraint, gamma_constraint,
        )

    def build(self, input_shape: Sequence[Optional[int]]) -> None:
        input_shape = tuple(input_shape)
        self.compute_output_shape(input_shape)
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"Axis {self.axis} of input tensor should have a defined dimension but the "
                f"layer received an input with shape {input_shape}."
            )
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(
                f"Number of groups ({self.groups}) cannot be more than the number of channels "
                f"({dim})."
            )
        if dim % self.groups != 0:
            raise ValueError(
                f"Number of groups ({self.groups}) must be a multiple of the number of "
                f"channels ({dim})."
            )
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        self._add_gamma_beta((dim,), self.scale, self.center)
        self._channel_axis = self.axis % len(input_shape)
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        axis = self._channel_axis
        x = _in_float32(inputs)
        x = x.movedim(axis, 1) if axis != 1 else x
        out = F.group_norm(x, self.groups, self.weight, self.bias, self.epsilon)
        out = out.movedim(1, axis) if axis != 1 else out
        return out.to(inputs.dtype)

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = tuple(input_shape)
        _check_axes(input_shape, [self.axis], self.axis)
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **self._gamma_beta_config(),
        }


class UnitNormalization(Layer):
    """Scale each sample to unit L2 norm over ``axis``: ``x * min(rsqrt(sum(x^2)), 1e12)``."""

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis: Any = list(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError(
                "Invalid value for `axis` argument: expected an int or a list/tuple of ints. "
                f"Received: axis={axis}"
            )
        self.supports_masking = True
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        square_sum = inputs.square().sum(dim=self.axis, keepdim=True)
        return inputs * torch.rsqrt(square_sum).clamp(max=1e12)

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = tuple(input_shape)
        for axis in self.axis if isinstance(self.axis, list) else [self.axis]:
            if axis >= len(input_shape) or axis < -len(input_shape):
                raise ValueError(
                    f"Axis {self.axis} is out of bounds for input shape {input_shape}."
                )
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
