"""Sum, Mean, and MeanMetricWrapper: the running reductions most metrics are made of.

A Keras mean metric is a *weighted mean over samples*: each update reduces its values to one per
sample (averaging any extra axes), adds ``Σ value·weight`` to ``total`` and ``Σ weight`` (or the
number of samples) to ``count``. So batches of different sizes are weighted by their sizes, and
the result is not the mean of per-batch means.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import torch

from kerasish.losses import apply_mask, as_tensor, divide_no_nan, squeeze_or_expand_to_same_rank
from kerasish.metrics.base import Metric


def _mean(x: torch.Tensor, dims: list) -> torch.Tensor:
    return x.mean(dim=dims)


def _sum(x: torch.Tensor, dims: list) -> torch.Tensor:
    return x.sum(dim=dims)


def reduce_to_samplewise_values(
    values: Any,
    sample_weight: Any,
    reduce_fn: Callable[[torch.Tensor, list], torch.Tensor],
    dtype: torch.dtype,
) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Keras 3's rule: weight by the broadcast sample weights, then reduce every axis but the
    first; the weights are reduced the same way, so they count samples."""
    mask = getattr(values, "_keras_mask", None)
    values = as_tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = as_tensor(sample_weight, dtype, values.device)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, dtype, reduction="sum")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim, values_ndim = sample_weight.dim(), values.dim()
        if values_ndim > weight_ndim:
            values = reduce_fn(values, list(range(weight_ndim, values_ndim)))
        sample_weight = sample_weight.broadcast_to(values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, list(range(1, weight_ndim)))
    if values.dim() > 1:
        values = reduce_fn(values, list(range(1, values.dim())))
    return values, sample_weight


class Sum(Metric):
    """The running (weighted) sum of the values."""

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, _ = reduce_to_samplewise_values(values, sample_weight, _sum, self._torch_dtype)
        self.total.assign_add(values.sum())

    def result(self) -> torch.Tensor:
        return self.total.value


class Mean(Metric):
    """The running weighted mean of the values."""

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, sample_weight = reduce_to_samplewise_values(
            values, sample_weight, _mean, self._torch_dtype
        )
        self.total.assign_add(values.sum())
        if sample_weight is not None:
            self.count.assign_add(sample_weight.sum())
        else:
            self.count.assign_add(values.shape[0] if values.dim() >= 1 else 1)

    def result(self) -> torch.Tensor:
        return divide_no_nan(self.total.value, self.count.value)

    def add_batch_mean(self, value: torch.Tensor, batch_size: int) -> None:
        """``update_state(value, sample_weight=batch_size)`` for a detached 0-dim ``value`` in
        two tensor ops: the loss trackers' update, once per output and step."""
        if value.ndim:
            self.update_state(value, sample_weight=batch_size)
            return
        if value.device != self._device:
            self._move_to(value.device)
        self.total._value = torch.add(self.total._value, value, alpha=batch_size)
        self.count._value = self.count._value + batch_size


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)``: any loss or metric function."""

    def __init__(self, fn: Callable, name: Optional[str] = None, dtype: Any = None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        mask = getattr(y_pred, "_keras_mask", None)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if sample_weight is not None:
            sample_weight = as_tensor(sample_weight, self._torch_dtype, values.device)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, self._torch_dtype, reduction="sum")
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        from kerasish.metrics.lookup import serialize_function

        config = super().get_config()
        config["fn"] = serialize_function(self._fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict) -> Metric:
        from kerasish.metrics.lookup import get_function

        config = dict(config)
        return cls(get_function(config.pop("fn")), **config)


class _FunctionMetric(MeanMetricWrapper):
    """A Keras metric class over one function: ``_params`` are its configurable arguments,
    and its config is ``name``, ``dtype`` and those (no ``fn``), as in Keras."""

    _fn_impl: Callable
    _params: tuple = ()

    def __init__(self, name: Optional[str] = None, dtype: Any = None, **params: Any) -> None:
        super().__init__(type(self)._fn_impl, name=name, dtype=dtype, **params)
        for key, value in params.items():
            setattr(self, key, value)

    def get_config(self) -> dict:
        config = Metric.get_config(self)
        config.update({key: getattr(self, key) for key in self._params})
        return config

    @classmethod
    def from_config(cls, config: dict) -> Metric:
        config = dict(config)
        config.pop("fn", None)
        return cls(**config)


def _metric_class(
    module: str, class_name: str, fn: Callable, default_name: Optional[str] = None
) -> type[_FunctionMetric]:
    """The Keras metric class over ``fn`` that has no arguments but ``name`` and ``dtype``,
    defined in ``module``.

    Keras spells each of these out as ``__init__(name=<fn's name>, dtype=None)``; this writes
    that constructor once, with the class' own default ``name`` in its signature, so positional
    calls and ``inspect`` see Keras' one.
    """
    default = default_name or fn.__name__

    def __init__(self, name: str = default, dtype: Any = None) -> None:
        _FunctionMetric.__init__(self, name, dtype)

    __init__.__qualname__ = f"{class_name}.__init__"
    body = {"__module__": module, "__qualname__": class_name, "_fn_impl": staticmethod(fn)}
    return type(class_name, (_FunctionMetric,), {**body, "__init__": __init__})
