"""CategoryEncoding and Discretization (Keras 3's categorical preprocessing layers).

Both end in Keras' ``encode_categorical_inputs``, reproduced by ``encode_categorical`` with
Keras' rank rules, including their quirks: a rank-1 input to ``multi_hot``/``count`` is one
sample (output ``(depth,)``), a rank-0 input to ``one_hot`` gives ``(1, depth)``, and
``multi_hot``/``count`` reduce axis 1 whatever the rank. One-hot rows come from
``F.one_hot`` on the clamped indices, as in Keras' torch backend: negative indices give zero
rows, and an index ``>= depth`` raises torch's ``RuntimeError`` ("Class values must be smaller
than num_classes.") on the CPU; on CUDA torch checks on the device (a device-side assert), with
no host sync, as it does under Keras.

``sparse=True`` is refused as Keras' torch backend refuses it (``ValueError``): Keras has no
sparse tensors on torch.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from kerasish import backend, devices
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.layers.base import Layer
from kerasish.ops.core import to_tensor

_SPARSE_ON_TORCH = "Unsupported value `sparse=True` with torch backend"
_NARROW_INTEGERS = (torch.bool, torch.uint8, torch.int8, torch.int16)


def _one_hot(indices: torch.Tensor, depth: int, dtype: torch.dtype) -> torch.Tensor:
    indices = indices.long()
    encoded = F.one_hot(indices.clamp(min=0), depth)
    encoded = torch.where(indices.unsqueeze(-1) >= 0, encoded, 0)
    return encoded.to(dtype)


def encode_categorical(
    inputs: torch.Tensor,
    output_mode: str,
    depth: int,
    dtype: torch.dtype,
    count_weights: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """Keras 3's ``encode_categorical_inputs`` for ``one_hot``/``multi_hot``/``count``."""
    if inputs.ndim == 0:
        inputs = inputs.unsqueeze(-1)
    reduction_axis = 1 if inputs.ndim > 1 else 0
    if output_mode == "multi_hot":
        return torch.amax(_one_hot(inputs.int(), depth, dtype), dim=reduction_axis)
    if output_mode == "one_hot":
        if inputs.ndim > 1 and inputs.shape[-1] == 1:
            inputs = inputs.squeeze(-1)
        return _one_hot(inputs, depth, dtype)
    if count_weights is not None:
        encoded = _one_hot(inputs, depth, count_weights.dtype) * count_weights.unsqueeze(-1)
    else:
        encoded = _one_hot(inputs, depth, dtype)
    # Keras' sum keeps the dtype (JAX's rule: bool and narrow integers sum to int32).
    result_dtype = torch.int32 if encoded.dtype in _NARROW_INTEGERS else encoded.dtype
    return encoded.sum(dim=reduction_axis, dtype=result_dtype)


class CategoryEncoding(Layer):
    """Integer category ids to one-hot, multi-hot or count vectors of length ``num_tokens``."""

    # Keras hands the inputs over unconverted (``_convert_input_args = False``).
    _casts_direct_inputs = False

    def __init__(
        self,
        num_tokens: Optional[int] = None,
        output_mode: str = "multi_hot",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_mode == "binary":  # Keras' deprecated name
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(f"Unknown arg for output_mode: {output_mode}")
        if num_tokens is None:
            raise ValueError(
                "num_tokens must be set to use this layer. If the number of tokens is not known "
                "beforehand, use the IntegerLookup layer instead."
            )
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse
        # Keras encodes in the variable dtype (float32 under a mixed policy); no output cast.
        self.autocast = False

    def call(self, inputs: Any, count_weights: Any = None) -> torch.Tensor:
        inputs = to_tensor(inputs)
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "`count_weights` is not used when `output_mode` is not `'count'`. "
                    f"Received `count_weights={count_weights}`."
                )
            count_weights = to_tensor(count_weights, self.compute_dtype, inputs.device)
        if self.sparse:
            raise ValueError(_SPARSE_ON_TORCH)
        return encode_categorical(
            inputs, self.output_mode, self.num_tokens, backend.torch_dtype(self.dtype),
            count_weights,
        )

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_tokens,)
        if self.output_mode == "one_hot":
            if input_shape[-1] != 1 or len(input_shape) == 1:
                return input_shape + (self.num_tokens,)
            return input_shape[:-1] + (self.num_tokens,)
        return input_shape[:-1] + (self.num_tokens,)

    def get_config(self) -> dict:
        # Keras leaves ``sparse`` out of the config.
        return {
            **super().get_config(),
            "num_tokens": self.num_tokens,
            "output_mode": self.output_mode,
        }


class Discretization(Layer):
    """Bucket ids of values between ``bin_boundaries``, or of ``num_bins`` quantile buckets
    learnt by ``adapt``.

    A value equal to a boundary falls in the bucket above it (``bins[i-1] <= x < bins[i]``,
    Keras' ``digitize``). ``adapt`` is Keras' own quantile sketch (sorted-sample summaries,
    merged and compressed by weight interpolation), in NumPy as in Keras, so adapted
    boundaries are Keras' to the bit.
    """

    def __init__(
        self,
        bin_boundaries: Optional[Sequence[float]] = None,
        num_bins: Optional[int] = None,
        epsilon: float = 0.01,
        output_mode: str = "int",
        sparse: bool = False,
        dtype: Any = None,
        name: Optional[str] = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        if sparse:
            raise ValueError("`sparse=True` cannot be used with backend torch")
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(
                "Unknown value for `output_mode` argument of Discretization. Allowed values "
                "are: ('int', 'one_hot', 'multi_hot', 'count'). Received: "
                f"output_mode={output_mode}"
            )
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`"
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Both `num_bins` and `bin_boundaries` should not be set. Received: "
                f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self.bin_boundaries = bin_boundaries
        self.summary = None if bin_boundaries else _empty_summary()

    @property
    def bin_boundaries(self) -> Optional[list]:
        return self._bin_boundaries

    @bin_boundaries.setter
    def bin_boundaries(self, value: Optional[Sequence[float]]) -> None:
        self._bin_boundaries = None if value is None else list(value)
        # Kept beside the weights (moved by ``.to()``) so a call copies nothing from the host;
        # not persistent: the config holds the boundaries.
        boundaries = None
        if value is not None:
            boundaries = to_tensor(
                self._bin_boundaries or [], None if value else "float32", devices.current()
            )
        self.register_buffer("_boundaries", boundaries, persistent=False)

    @property
    def output_dtype(self) -> str:
        return self.compute_dtype if self.output_mode != "int" else "int32"

    def call(self, inputs: Any) -> torch.Tensor:
        if self._bin_boundaries is None:
            raise ValueError(
                "You need to either pass the `bin_boundaries` argument at construction time or "
                "call `adapt(dataset)` before you can start using the `Discretization` layer."
            )
        inputs = to_tensor(inputs)
        if inputs.dtype == torch.bool:
            inputs = inputs.to(torch.uint8)
        boundaries = self._boundaries
        if boundaries.device != inputs.device:
            # No weights tell ``build`` where the layer runs: follow the data, once.
            boundaries = self._boundaries = boundaries.to(inputs.device)
        indices = torch.bucketize(inputs, boundaries, right=True).to(torch.int32)
        if self.output_mode == "int":
            return indices
        return encode_categorical(
            indices, self.output_mode, len(self._bin_boundaries) + 1,
            backend.torch_dtype(self.output_dtype),
        )

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = (
            len(self._bin_boundaries) + 1 if self._bin_boundaries is not None else self.num_bins
        )
        if self.output_mode == "one_hot":
            if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        if len(input_shape) >= 2:
            return (input_shape[0],) + input_shape[2:] + (depth,)
        return (depth,)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> KerasTensor:
        inputs = args[0] if args else kwargs["inputs"]
        return KerasTensor(self.compute_output_shape(inputs.shape), self.output_dtype)

    # ------------------------------------------------------------------ adapt

    def adapt(self, data: Any, steps: Optional[int] = None) -> None:
        """Learn ``num_bins`` quantile boundaries from an array/tensor or an iterable of batches
        (``steps`` limits the batches read)."""
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer that has been initialized with "
                "`bin_boundaries`, use `num_bins` instead."
            )
        self.reset_state()
        if isinstance(data, (np.ndarray, torch.Tensor)) or not hasattr(data, "__iter__"):
            self.update_state(data)
        else:
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        if isinstance(data, torch.Tensor):
            data = data.detach().cpu().numpy()
        data = np.array(data).astype("float32")
        self.summary = _merge_summaries(_summarize(data, self.epsilon), self.summary, self.epsilon)

    def finalize_state(self) -> None:
        if self.num_bins is None:
            return
        self.bin_boundaries = _compress_summary(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self) -> None:
        if self.num_bins is None:
            return
        self.summary = _empty_summary()

    # ----------------------------------------------------------------- config

    def get_config(self) -> dict:
        # Keras' keys exactly: no ``trainable``, the dtype as its name.
        return {
            "bin_boundaries": self._bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }

    @classmethod
    def from_config(cls, config: dict) -> Discretization:
        config = dict(config)
        config.pop("trainable", None)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            # An adapted layer: __init__ refuses both, so the boundaries come after.
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)


# ------------------------------------------------ Keras' quantile sketch (NumPy)


def _empty_summary() -> np.ndarray:
    return np.array([[], []], dtype="float32")


def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """Every ``step``-th sorted value, each weighing ``step``: about ``1 / epsilon`` points."""
    values = np.sort(np.reshape(values, [-1]))
    step = max(np.size(values) / (1.0 / epsilon), 1)
    points = values[int(step - 1) :: int(step)]
    return np.stack([points, np.ones_like(points) * step])


def _merge_summaries(first: np.ndarray, second: np.ndarray, epsilon: float) -> np.ndarray:
    merged = np.concatenate((first, second), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return _compress_summary(merged, epsilon)


def _compress_summary(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """Re-sample a summary at cumulative-weight fractions ``epsilon, 2 epsilon, ...``."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    fractions = cumulative / cumulative[-1]
    points = np.interp(percents, fractions, summary[0])
    cumulative = np.interp(percents, fractions, cumulative)
    weights = cumulative - np.concatenate((np.array([0]), cumulative[:-1]))
    return np.stack((points, weights)).astype("float32")

