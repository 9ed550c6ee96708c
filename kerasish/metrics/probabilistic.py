"""Crossentropies, KL divergence and Poisson as running-mean metrics (the loss functions'
per-sample values, weighted by ``sample_weight``, averaged over all samples seen)."""

from __future__ import annotations

from typing import Any, Optional

from kerasish import losses
from kerasish.metrics.reduction import _FunctionMetric, _metric_class

KLDivergence = _metric_class(__name__, "KLDivergence", losses.kl_divergence)
Poisson = _metric_class(__name__, "Poisson", losses.poisson)


class BinaryCrossentropy(_FunctionMetric):
    _fn_impl = staticmethod(losses.binary_crossentropy)
    _params = ("from_logits", "label_smoothing")

    def __init__(
        self,
        name: str = "binary_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0,
    ) -> None:
        super().__init__(
            name=name, dtype=dtype, from_logits=from_logits, label_smoothing=label_smoothing
        )


class CategoricalCrossentropy(_FunctionMetric):
    _fn_impl = staticmethod(losses.categorical_crossentropy)
    _params = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        name: str = "categorical_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0,
        axis: int = -1,
    ) -> None:
        super().__init__(
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(_FunctionMetric):
    _fn_impl = staticmethod(losses.sparse_categorical_crossentropy)
    _params = ("from_logits", "ignore_class", "axis")

    def __init__(
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        ignore_class: Optional[int] = None,
        axis: int = -1,
    ) -> None:
        super().__init__(
            name=name, dtype=dtype, from_logits=from_logits, ignore_class=ignore_class, axis=axis
        )
