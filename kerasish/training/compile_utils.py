"""What ``compile(loss=..., metrics=..., loss_weights=...)`` means for a model's outputs.

Keras accepts one loss for all outputs, a list in output order, or a dict keyed by output name;
the same for ``loss_weights`` and, per output, for metrics (a flat metrics list is applied to
every output). These containers resolve all of that once, against ``model.output_names``, and
name the results as tf.keras 2.x does: ``loss``, ``<output>_loss``, ``<output>_<metric>``.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import torch

from kerasish.utils import tree


def _per_output(value: Any, output_names: Sequence[str], what: str, broadcast: bool) -> list:
    """``value`` as a list aligned with the outputs (None where an output has none)."""
    count = len(output_names)
    if isinstance(value, dict):
        unknown = [key for key in value if key not in output_names]
        if unknown:
            raise ValueError(
                f"Found unexpected {what} that do not correspond to any Model output: "
                f"{unknown}. Valid output names: {list(output_names)}."
            )
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)) and count > 1 and not broadcast:
        if len(value) != count:
            raise ValueError(
                f"When passing a list as `{what}`, it should have one entry per model output. "
                f"The model has {count} outputs ({list(output_names)}), but you passed "
                f"{what}={value!r}."
            )
        return list(value)
    return [value] * count


class LossesContainer:
    """The weighted sum of per-output losses, plus a running mean of each for the logs."""

    def __init__(self, loss: Any, loss_weights: Any, output_names: Sequence[str]) -> None:
        from kerasish import losses as losses_module

        self.output_names = list(output_names)
        raw = _per_output(loss, output_names, "loss", broadcast=not isinstance(loss, (list, tuple)))
        self.losses = [None if item is None else _as_loss_object(item, losses_module) for item in raw]
        weights = loss_weights if loss_weights is not None else 1.0
        weights = _per_output(
            weights, output_names, "loss_weights", broadcast=not isinstance(weights, (list, tuple))
        )
        self.loss_weights = [1.0 if w is None else float(w) for w in weights]
        from kerasish.metrics import Mean

        self.total_tracker = Mean(name="loss")
        multi = len(self.output_names) > 1
        self.output_trackers = [
            Mean(name=f"{name}_loss") if (multi and loss_fn is not None) else None
            for name, loss_fn in zip(self.output_names, self.losses)
        ]

    def __call__(
        self,
        y_true: list,
        y_pred: list,
        sample_weights: Optional[list] = None,
        regularization: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        total, values = self.compute(y_true, y_pred, sample_weights)
        return self.record(total, values, regularization, batch_size_of(y_pred))

    def compute(
        self, y_true: list, y_pred: list, sample_weights: Optional[list] = None
    ) -> tuple[Optional[torch.Tensor], list]:
        """The weighted sum of the output losses and each output's loss (None where an output
        has none). Tensor ops only, no state: ``compile(jit_compile=True)`` compiles it with the
        forward."""
        total = None
        values: list = []
        for index, (loss_fn, weight) in enumerate(zip(self.losses, self.loss_weights)):
            if loss_fn is None:
                values.append(None)
                continue
            sample_weight = sample_weights[index] if sample_weights else None
            value = loss_fn(y_true[index], y_pred[index], sample_weight=sample_weight)
            values.append(value)
            weighted = value * weight if weight != 1.0 else value
            total = weighted if total is None else total + weighted
        return total, values

    def record(
        self,
        total: Optional[torch.Tensor],
        values: list,
        regularization: Optional[torch.Tensor],
        batch_size: int,
    ) -> torch.Tensor:
        """Add the regularization and update the trackers; returns the loss to minimise.
        Keras averages batch losses weighted by batch size, so a short last batch counts less."""
        for tracker, value in zip(self.output_trackers, values):
            if tracker is not None and value is not None:
                tracker.add_batch_mean(value.detach(), batch_size)
        if regularization is not None:
            total = regularization if total is None else total + regularization
        if total is None:
            raise ValueError(
                "No loss to compute. Provide a `loss` argument in `compile()` or add losses "
                "with `add_loss()`."
            )
        self.total_tracker.add_batch_mean(total.detach(), batch_size)
        return total

    @property
    def metrics(self) -> list:
        return [self.total_tracker] + [t for t in self.output_trackers if t is not None]


def batch_size_of(y_pred: list) -> int:
    return y_pred[0].shape[0] if y_pred and y_pred[0].ndim else 1


def _as_loss_object(identifier: Any, losses_module: Any) -> Any:
    loss = losses_module.get(identifier)
    if isinstance(loss, losses_module.Loss):
        return loss
    name = identifier if isinstance(identifier, str) else getattr(loss, "__name__", None)
    return losses_module.LossFunctionWrapper(loss, name=name)


class MetricsContainer:
    """Metric objects per output, created on the first batch (when shapes are known)."""

    def __init__(
        self,
        metrics: Any,
        weighted_metrics: Any,
        output_names: Sequence[str],
        losses: Sequence[Any] = (),
    ) -> None:
        self.output_names = list(output_names)
        self._metrics_spec = self._spec(metrics, "metrics")
        self._weighted_spec = self._spec(weighted_metrics, "weighted_metrics")
        self._losses = list(losses) + [None] * (len(self.output_names) - len(losses))
        self.built = False
        self.per_output: list[list] = []
        self.weighted_per_output: list[list] = []

    def _spec(self, metrics: Any, what: str) -> list:
        if metrics is None:
            return [[] for _ in self.output_names]
        if isinstance(metrics, dict):
            mapped = _per_output(metrics, self.output_names, what, broadcast=False)
            return [_as_list(m) for m in mapped]
        if isinstance(metrics, (list, tuple)):
            if len(self.output_names) > 1 and metrics and all(
                isinstance(m, (list, tuple, dict)) or m is None for m in metrics
            ):
                if len(metrics) != len(self.output_names):
                    raise ValueError(
                        f"When passing a list of lists as `{what}`, it should have one entry "
                        f"per model output ({list(self.output_names)}). Received: {metrics!r}"
                    )
                return [_as_list(m) for m in metrics]
            return [list(metrics) for _ in self.output_names]
        return [[metrics] for _ in self.output_names]

    def build(self, y_true: list, y_pred: list) -> None:
        from kerasish import metrics as metrics_module

        multi = len(self.output_names) > 1
        seen: set = set()

        def make(spec: Any, index: int, weighted: bool) -> Any:
            metric = _metric_object(
                spec, y_true[index], y_pred[index], self._losses[index], metrics_module
            )
            name = metric.name
            if multi:
                candidate = f"{self.output_names[index]}_{name}"
                if weighted and candidate in seen:
                    candidate = f"{self.output_names[index]}_weighted_{name}"
            else:
                candidate = f"weighted_{name}" if weighted and name in seen else name
            if candidate in seen:
                raise ValueError(
                    f"Found two metrics with the same name: {candidate}. All the metrics "
                    "added to the model need to have unique names."
                )
            seen.add(candidate)
            metric._name = candidate
            return metric

        self.per_output = [
            [make(spec, i, False) for spec in specs if spec is not None]
            for i, specs in enumerate(self._metrics_spec)
        ]
        self.weighted_per_output = [
            [make(spec, i, True) for spec in specs if spec is not None]
            for i, specs in enumerate(self._weighted_spec)
        ]
        self.built = True

    @property
    def has_metrics(self) -> bool:
        return any(self._metrics_spec) or any(self._weighted_spec)

    def update_state(self, y_true: list, y_pred: list, sample_weights: Optional[list]) -> None:
        if not self.built:
            self.build(y_true, y_pred)
        for index, metrics in enumerate(self.per_output):
            for metric in metrics:
                metric.update_state(y_true[index], y_pred[index])
        for index, metrics in enumerate(self.weighted_per_output):
            weight = sample_weights[index] if sample_weights else None
            for metric in metrics:
                metric.update_state(y_true[index], y_pred[index], sample_weight=weight)

    @property
    def metrics(self) -> list:
        return [m for group in self.per_output for m in group] + [
            m for group in self.weighted_per_output for m in group
        ]


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _metric_object(spec: Any, y_true: Any, y_pred: Any, loss: Any, metrics_module: Any) -> Any:
    if isinstance(spec, str) and spec.lower() in {"accuracy", "acc", "crossentropy", "ce"}:
        return metrics_module.resolve_accuracy(
            spec, tuple(y_true.shape), tuple(y_pred.shape), loss=loss
        )
    metric = metrics_module.get(spec)
    if isinstance(metric, metrics_module.Metric):
        if isinstance(spec, str) and spec != type(metric).__name__:
            metric._name = spec  # a function alias ('mae') keeps the user's spelling, as in Keras
        return metric
    name = spec if isinstance(spec, str) else getattr(metric, "__name__", "metric")
    return metrics_module.MeanMetricWrapper(metric, name=name)


def flatten_targets(model: Any, y: Any, what: str = "y") -> list:
    """``y`` as a list aligned with ``model.output_names``."""
    names = model.output_names
    if isinstance(y, dict):
        nested = getattr(model, "_nested_outputs", None)
        unknown = [key for key in y if key not in names]
        if unknown:
            raise ValueError(
                f"Found unexpected keys in `{what}` that do not correspond to any model "
                f"output: {unknown}. Expected keys: {names}."
            )
        if isinstance(nested, dict):
            return [y.get(name) for name in sorted(nested)]
        return [y.get(name) for name in names]
    if isinstance(y, (list, tuple)) and len(names) > 1:
        flat = tree.flatten(y)
        if len(flat) != len(names):
            raise ValueError(
                f"The model has {len(names)} outputs ({names}), but `{what}` has "
                f"{len(flat)} arrays. Pass one array per output (or a dict keyed by output name)."
            )
        return flat
    if isinstance(y, (list, tuple)) and len(y) == 1 and len(names) == 1 and hasattr(y[0], "shape"):
        return [y[0]]
    if len(names) != 1:
        raise ValueError(
            f"The model has {len(names)} outputs ({names}), but `{what}` is a single array. "
            "Pass one array per output (or a dict keyed by output name)."
        )
    return [y]
