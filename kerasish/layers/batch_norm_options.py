"""tf.keras' BatchNormalization training variants: renorm, virtual batches and ``adjustment``.

All three change only what happens in training mode (inference always normalizes with the
moving statistics), and all three follow tf.keras 2.x's non-fused ``BatchNormalizationBase``,
which Keras 3's ``renorm`` repeats:

* **Batch renormalization** (``renorm=True``) keeps ``renorm_mean``/``renorm_stddev`` (updated
  with ``renorm_momentum``) and corrects the batch-normalized values by ``r = stddev /
  renorm_stddev`` and ``d = (mean - renorm_mean) / renorm_stddev`` (clipped by
  ``renorm_clipping``, no gradient), computed before those statistics move. The inference
  variance is tracked as ``moving_stddev``; ``moving_variance`` is ``relu(moving_stddev**2 - eps)``.
* **Virtual batches** (``virtual_batch_size=v``, "ghost batch normalization") reshape the batch
  ``B`` to ``(v, B // v, ...)`` as tf.keras does, so the virtual batch ``j`` holds the samples
  ``j, j + B//v, j + 2*B//v, ...`` (strided, not contiguous). Each is normalized with its own
  statistics; the moving statistics move towards their averages. tf.keras stores every weight
  broadcast-shaped, ``(1, 1, ..., C, ...)``; kerasish keeps torch's ``(C,)`` and gives the
  variables that Keras layout as a view (``layouts.broadcast_vector``).
* **adjustment** is a callable taking the input's shape (a ``torch.Size`` here, TensorFlow's
  ``tf.shape`` in tf.keras) and returning ``(scale, bias)`` applied to the normalized values
  before ``gamma``/``beta``. tf.keras cannot serialize it: its config leaves it out, with a
  warning, and so does kerasish's.

With none of them set, BatchNormalization never enters this module's call path.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable, Optional

import torch

from kerasish.saving import layouts

_CLIPPING_KEYS = ["rmax", "rmin", "dmax"]


class BatchNormOptions:
    """Mixin for BatchNormalization: the arguments, weights, training math and config entries of
    tf.keras' ``renorm``, ``virtual_batch_size`` and ``adjustment``."""

    def _init_options(
        self,
        renorm: bool,
        renorm_clipping: Optional[dict],
        renorm_momentum: float,
        virtual_batch_size: Optional[int],
        adjustment: Optional[Callable[[torch.Size], Any]],
        fused: Optional[bool],
    ) -> None:
        if fused:
            # tf.keras' refusals for its fused kernel, in its order.
            if renorm:
                raise ValueError("Passing both `fused=True` and `renorm=True` is not supported")
            if virtual_batch_size is not None:
                raise ValueError(
                    "Passing `fused=True` is not supported when `virtual_batch_size` is "
                    "specified."
                )
            if adjustment is not None:
                raise ValueError(
                    "Passing `fused=True` is not supported when `adjustment` is specified."
                )
        self.renorm = bool(renorm)
        if self.renorm:
            renorm_clipping = _checked_clipping(renorm_clipping)
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.virtual_batch_size = virtual_batch_size
        self.adjustment = adjustment
        self._has_options = (
            self.renorm or virtual_batch_size is not None or adjustment is not None
        )

    # ------------------------------------------------------------------ build

    def _check_options(self, channel_axis: int) -> None:
        """tf.keras' build-time checks of ``virtual_batch_size``, in its order."""
        size = self.virtual_batch_size
        if size is None:
            return
        if size <= 0:
            raise ValueError(
                "`virtual_batch_size` must be a positive integer that divides the true batch "
                f"size of the input tensor. Received: virtual_batch_size={size}"
            )
        if channel_axis == 0:
            raise ValueError(
                "When using `virtual_batch_size`, the batch dimension must be 0 and thus axis "
                f"cannot include 0. Received axis={self.axis}"
            )
        if self.adjustment is not None:
            raise ValueError("When using `virtual_batch_size`, adjustment cannot be specified")

    def _add_option_weights(self, shape: tuple, ndim: int) -> None:
        """renorm's three statistics after the moving ones (tf.keras' names and order), then the
        broadcast Keras layout of every weight with virtual batches."""
        if self.renorm:
            stddev_initializer = _sqrt_of(self.moving_variance_initializer)
            self.add_weight(
                "moving_stddev", shape=shape, initializer=stddev_initializer, trainable=False
            )
            self.add_weight(
                "renorm_mean",
                shape=shape,
                initializer=self.moving_mean_initializer,
                trainable=False,
            )
            self.add_weight(
                "renorm_stddev", shape=shape, initializer=stddev_initializer, trainable=False
            )
        if self.virtual_batch_size is not None:
            keras_shape = [1] * ndim
            keras_shape[self._channel_axis] = shape[0]
            keras_shape.insert(1, 1)
            for variable in self._keras_variables:
                variable._layout = layouts.broadcast_vector(variable._attr, tuple(keras_shape))

    # ------------------------------------------------------------------- call

    def _train_with_options(
        self, inputs: torch.Tensor, mask: Optional[torch.Tensor]
    ) -> torch.Tensor:
        """Training-mode output and statistics updates with any of the three options.

        Half-precision inputs are computed in float32 and the output cast back, as tf.keras does.
        """
        dtype = inputs.dtype
        if dtype in (torch.float16, torch.bfloat16):
            inputs = inputs.float()
        if self.virtual_batch_size is not None:
            x, channel_axis = self._virtual_batches(inputs, mask), self._channel_axis + 1
            axes = (0,) + tuple(i for i in range(2, x.ndim) if i != channel_axis)
            variance, mean = torch.var_mean(x, dim=axes, keepdim=True, correction=0)
            # The moving statistics (and renorm) see the average over the virtual batches.
            new_mean = mean.mean(dim=1).reshape(-1)
            new_variance = variance.mean(dim=1).reshape(-1)
        else:
            x, channel_axis = inputs, self._channel_axis
            new_mean, new_variance = self._moments(inputs, mask)
            mean = _along(new_mean, channel_axis, x.ndim)
            variance = _along(new_variance, channel_axis, x.ndim)
        scale = None if self.weight is None else _along(self.weight, channel_axis, x.ndim)
        offset = None if self.bias is None else _along(self.bias, channel_axis, x.ndim)
        if self.adjustment is not None:
            adjust_scale, adjust_bias = self.adjustment(inputs.shape)
            scale, offset = _compose(
                _as_tensor(adjust_scale, inputs), _as_tensor(adjust_bias, inputs), scale, offset
            )
        if self.renorm:
            r, d = self._renorm_step(new_mean, new_variance)
            scale, offset = _compose(
                _along(r, channel_axis, x.ndim), _along(d, channel_axis, x.ndim), scale, offset
            )
        else:
            self._update_moving(new_mean, new_variance)
        # tf.nn.batch_normalization's arrangement of the arithmetic.
        inv = torch.rsqrt(variance + self.epsilon)
        if scale is not None:
            inv = inv * scale
        shift = -mean * inv if offset is None else offset - mean * inv
        out = (x * inv + shift).reshape(inputs.shape)
        return out if out.dtype == dtype else out.to(dtype)

    def _virtual_batches(
        self, inputs: torch.Tensor, mask: Optional[torch.Tensor]
    ) -> torch.Tensor:
        """``(B, ...)`` as ``(v, B // v, ...)``: tf.keras' reshape, a view of ``inputs``."""
        size, batch = self.virtual_batch_size, inputs.shape[0]
        if mask is not None:
            raise NotImplementedError(
                f"BatchNormalization layer '{self.name}': a mask together with "
                "`virtual_batch_size` is not supported (tf.keras fails on it too: its mask "
                "does not broadcast against the virtual batches)."
            )
        if batch % size:
            raise ValueError(
                f"BatchNormalization layer '{self.name}': `virtual_batch_size`={size} must "
                f"divide the batch size in training. Received input shape "
                f"{tuple(inputs.shape)}."
            )
        return inputs.reshape((size, batch // size) + tuple(inputs.shape[1:]))

    def _renorm_step(
        self, mean: torch.Tensor, variance: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """renorm's ``(r, d)`` from the statistics before this batch, then all statistics move.

        ``r`` and ``d`` carry no gradient (tf.keras' ``stop_gradient``).
        """
        epsilon = self.epsilon
        with torch.no_grad():
            mean = mean.detach()
            stddev = torch.sqrt(variance.detach() + epsilon)
            renorm_stddev = torch.clamp(self.renorm_stddev, min=math.sqrt(epsilon))
            r = stddev / renorm_stddev
            d = (mean - self.renorm_mean) / renorm_stddev
            rmin, rmax, dmax = (self.renorm_clipping.get(key) for key in ("rmin", "rmax", "dmax"))
            if rmin is not None:
                r = torch.clamp(r, min=rmin)
            if rmax is not None:
                r = torch.clamp(r, max=rmax)
            if dmax is not None:
                d = torch.clamp(d, min=-dmax, max=dmax)
            renorm_momentum = self.renorm_momentum
            self.renorm_mean.mul_(renorm_momentum).add_(mean * (1.0 - renorm_momentum))
            self.renorm_stddev.mul_(renorm_momentum).add_(stddev * (1.0 - renorm_momentum))
            momentum = self.momentum
            self.running_mean.mul_(momentum).add_(mean * (1.0 - momentum))
            self.moving_stddev.mul_(momentum).add_(stddev * (1.0 - momentum))
            self.running_var.copy_(torch.relu(self.moving_stddev.square() - epsilon))
        return r, d

    # ----------------------------------------------------------------- config

    def _options_config(self) -> dict:
        """tf.keras' entries: each option only when set; ``adjustment`` never."""
        config: dict = {}
        if self.renorm:
            config["renorm"] = True
            config["renorm_clipping"] = self.renorm_clipping
            config["renorm_momentum"] = self.renorm_momentum
        if self.virtual_batch_size is not None:
            config["virtual_batch_size"] = self.virtual_batch_size
        if self.adjustment is not None:
            warnings.warn(
                "The `adjustment` function of this `BatchNormalization` layer cannot be "
                "serialized and has been omitted from the layer config. It will not be "
                "included when re-creating the layer from the saved config.",
                stacklevel=3,
            )
        return config


def unshift_virtual_batch_axis(config: dict) -> dict:
    """The axis a tf.keras config with ``virtual_batch_size`` meant.

    tf.keras' ``build`` adds 1 to the (made positive) axis for the virtual-batch dimension and
    its ``get_config`` writes that shifted list (``[2]`` for features of a 2D input), which
    tf.keras itself then refuses to load. A list axis ``>= 2`` beside ``virtual_batch_size`` is
    read back as the axis it was built from (kerasish writes an int; an unbuilt tf.keras
    layer's list ``[k]`` would be misread as ``k - 1``).
    """
    axis = config.get("axis")
    if (
        config.get("virtual_batch_size") is not None
        and isinstance(axis, (list, tuple))
        and len(axis) == 1
        and isinstance(axis[0], int)
        and axis[0] >= 2
    ):
        return {**config, "axis": axis[0] - 1}
    return config


def _checked_clipping(clipping: Optional[dict]) -> dict:
    """``renorm_clipping`` as Keras 3 checks it (tf.keras checks only the keys)."""
    clipping = dict(clipping or {})
    if set(clipping) - set(_CLIPPING_KEYS):
        raise ValueError(
            f"Received invalid keys for `renorm_clipping` argument: {clipping}. Supported "
            f"values: {_CLIPPING_KEYS}."
        )
    rmax, rmin, dmax = clipping.get("rmax"), clipping.get("rmin"), clipping.get("dmax")
    if rmax is not None and rmin is not None and rmax < rmin:
        raise ValueError(
            "rmax should be greater than rmin in the `renorm_clipping` argument. Received: "
            f"rmax={rmax}, rmin={rmin}."
        )
    if dmax is not None and dmax < 0:
        raise ValueError(
            f"dmax should be non-negative in the `renorm_clipping` argument. Received: "
            f"dmax={dmax}."
        )
    return clipping


def _sqrt_of(initializer: Callable[..., Any]) -> Callable[..., torch.Tensor]:
    """The standard deviations matching a variance initializer (renorm's stddev weights)."""

    def stddev_initializer(shape: tuple, dtype: Any = None) -> torch.Tensor:
        return torch.sqrt(torch.as_tensor(initializer(shape, dtype)))

    return stddev_initializer


def _compose(
    scale: torch.Tensor,
    offset: torch.Tensor,
    then_scale: Optional[torch.Tensor],
    then_offset: Optional[torch.Tensor],
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x * scale + offset) * then_scale + then_offset`` as one scale and one offset."""
    if then_scale is not None:
        scale = scale * then_scale
        offset = offset * then_scale
    if then_offset is not None:
        offset = offset + then_offset
    return scale, offset


def _along(vector: torch.Tensor, axis: int, ndim: int) -> torch.Tensor:
    shape = [1] * ndim
    shape[axis] = -1
    return vector.reshape(shape)


def _as_tensor(value: Any, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(value, dtype=like.dtype, device=like.device)
