"""Hinge losses as running-mean metrics."""

from __future__ import annotations

from typing import Any

from kerasish import losses
from kerasish.metrics.reduction import _FunctionMetric


class Hinge(_FunctionMetric):
    _fn_impl = staticmethod(losses.hinge)

    def __init__(self, name: str = "hinge", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


class SquaredHinge(_FunctionMetric):
    _fn_impl = staticmethod(losses.squared_hinge)

    def __init__(self, name: str = "squared_hinge", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


class CategoricalHinge(_FunctionMetric):
    _fn_impl = staticmethod(losses.categorical_hinge)

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
