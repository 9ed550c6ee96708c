"""Hinge losses as running-mean metrics."""

from __future__ import annotations

from kerasish import losses
from kerasish.metrics.reduction import _metric_class

Hinge = _metric_class(__name__, "Hinge", losses.hinge)
SquaredHinge = _metric_class(__name__, "SquaredHinge", losses.squared_hinge)
CategoricalHinge = _metric_class(__name__, "CategoricalHinge", losses.categorical_hinge)
