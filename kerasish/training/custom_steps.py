"""Keras 3's overridable step API: ``train_step``, ``test_step``, ``predict_step``,
``compute_loss``, ``compute_metrics`` and ``get_metrics_result``.

"Customizing what happens in ``fit()``" is how Keras users write GANs, VAEs and their own
losses: they subclass ``Model`` and override these methods, receiving each batch as ``data`` in
the structure they passed to ``fit``. The methods here are Keras 3's torch-backend defaults, so
``super().train_step(data)`` behaves as in Keras. ``fit``/``evaluate``/``predict`` keep their
flat, fused step (``Trainer._train_step``) unless a model overrides one of these methods; then
they call the override with ``data`` packed the way Keras packs it.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Iterator, Optional

import torch

from kerasish.training import data as data_utils
from kerasish.training import data_adapters
from kerasish.training.compile_utils import batch_size_of
from kerasish.utils import tree

TRAINING_HOOKS = ("train_step", "compute_loss", "compute_metrics")
EVALUATION_HOOKS = ("test_step", "compute_loss", "compute_metrics")


@functools.cache
def _takes_training(compute_loss: Any) -> bool:
    """Read once per method, not per step."""
    return "training" in inspect.signature(compute_loss).parameters


def unpack_x_y_sample_weight(data: Any) -> tuple:
    """Keras' ``keras.utils.unpack_x_y_sample_weight``."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found: {data}"
    )


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """Keras' ``keras.utils.pack_x_y_sample_weight``: what a custom step receives as ``data``."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def overrides(model: Any, hooks: tuple) -> bool:
    """True when the model's class replaces any of ``hooks`` (then fit/evaluate call them)."""
    return any(getattr(type(model), hook) is not getattr(StepMethods, hook) for hook in hooks)


class StepMethods:
    """Mixed into ``Trainer``: Keras 3's per-batch methods, for models that override them."""

    def train_step(self, data: Any) -> dict:
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self._call_for_step(x, training=True)
        self.zero_grad(set_to_none=True)
        loss = self._compute_loss_compat(x, y, y_pred, sample_weight, training=True)
        self._track_loss(loss, x)
        variables = self.trainable_weights
        if variables:
            self.optimizer.scale_loss(loss).backward()
            with torch.no_grad():
                self.optimizer.apply([v.value.grad for v in variables], variables)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def test_step(self, data: Any) -> dict:
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self._call_for_step(x, training=False)
        loss = self._compute_loss_compat(x, y, y_pred, sample_weight, training=False)
        self._track_loss(loss, x)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def predict_step(self, data: Any) -> Any:
        x, _, _ = unpack_x_y_sample_weight(data)
        return self._call_for_step(x, training=False)

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> torch.Tensor:
        """The compiled losses of ``y_pred`` against ``y`` plus the model's own losses
        (regularizers, ``add_loss``); Keras raises when there is none."""
        del x, training  # the default uses neither, as Keras' does
        flat_pred = tree.flatten(y_pred)
        self._ensure_containers(flat_pred)
        total = None
        if y is not None and any(loss is not None for loss in self.compiled_loss.losses):
            total, _ = self.compiled_loss.compute(
                self._flat_targets(y), flat_pred, self._flat_weights(sample_weight)
            )
        own = self._regularization()
        if own is not None:
            total = own if total is None else total + own
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return total

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict:
        del x
        flat_pred = tree.flatten(y_pred)
        self._ensure_containers(flat_pred)
        if y is not None and self.compiled_metrics is not None:
            with torch.no_grad():
                self.compiled_metrics.update_state(
                    self._flat_targets(y),
                    [p.detach() for p in flat_pred],
                    self._flat_weights(sample_weight),
                )
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        results: dict = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                results.update(result)
            else:
                results[metric.name] = result
        return results

    # ------------------------------------------------------------------ helpers

    def _call_for_step(self, x: Any, training: bool) -> Any:
        if self._call_accepts_training:
            return self(x, training=training)
        return self(x)

    def _compute_loss_compat(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any, training: bool
    ) -> torch.Tensor:
        """Overrides written before Keras 3.3 have no ``training`` argument."""
        if _takes_training(type(self).compute_loss):
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def _track_loss(self, loss: torch.Tensor, x: Any) -> None:
        if self.compiled_loss is not None:
            batch = batch_size_of([leaf for leaf in tree.flatten(x) if leaf is not None])
            self.compiled_loss.total_tracker.add_batch_mean(loss.detach(), batch)

    def _ensure_containers(self, flat_pred: list) -> None:
        if self.compiled_loss is None:
            names = getattr(self, "output_names", None) or (
                ["output_1"] if len(flat_pred) == 1 else [f"output_{i + 1}" for i in range(len(flat_pred))]
            )
            self._build_containers(names)

    def _flat_targets(self, y: Any) -> list:
        device = self._device
        return self._target_tensors(y, device) if y is not None else []

    def _flat_weights(self, sample_weight: Any) -> Optional[list]:
        return self._sample_weight_tensors(sample_weight, self._device)


class CompileMetrics:
    """Keras 3's ``compile_metrics`` entry of ``model.metrics``, while the compiled metrics are
    not yet built: ``update_state(y, y_pred)`` builds them (their classes depend on the shapes)
    and updates them. Once built, ``model.metrics`` lists the metric objects themselves."""

    name = "compile_metrics"

    def __init__(self, model: Any) -> None:
        self._model = model

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        model = self._model
        flat_pred = [p.detach() for p in tree.flatten(y_pred)]
        model._ensure_containers(flat_pred)
        model.compiled_metrics.update_state(
            model._flat_targets(y_true), flat_pred, model._flat_weights(sample_weight)
        )

    def result(self) -> dict:
        container = self._model.compiled_metrics
        return {m.name: m.result() for m in container.metrics} if container.built else {}

    def reset_state(self) -> None:
        for metric in self._model.compiled_metrics.metrics:
            metric.reset_state()


def flat_logs(logs: Any) -> dict:
    """A custom step's logs with nested dicts (``compile_metrics``) lifted, as Keras does."""
    flat: dict = {}
    for key, value in (logs or {}).items():
        if isinstance(value, dict):
            flat.update(flat_logs(value))
        else:
            flat[key] = value
    return flat


class StructuredBatches(data_adapters.DataAdapter):
    """Batches for a custom step: the user's ``x``/``y``/``sample_weight`` structures, their
    arrays made tensors once and sliced per batch as the flat adapter does, then packed back."""

    def __init__(self, flat: data_adapters.DataAdapter, structures: tuple) -> None:
        self.flat = flat
        self.structures = structures
        self.steps_per_epoch = flat.steps_per_epoch

    def epoch(self) -> Iterator[Any]:
        x_structure, y_structure, w_structure = self.structures
        for bx, by, bw in self.flat.epoch():
            x = tree.pack_sequence_as(x_structure, bx)
            y = None if by is None else tree.pack_sequence_as(y_structure, by)
            weights = None if bw is None else tree.pack_sequence_as(w_structure, bw)
            yield pack_x_y_sample_weight(x, y, weights)

    def on_epoch_end(self) -> None:
        self.flat.on_epoch_end()


class RawBatches(data_adapters.DataAdapter):
    """A generator's or DataLoader's items for a custom step, their arrays made tensors."""

    def __init__(self, flat: data_adapters.IteratorDataAdapter) -> None:
        self.flat = flat
        self.steps_per_epoch = flat.steps_per_epoch

    def epoch(self) -> Iterator[Any]:
        for item, _, _ in self.flat.epoch():
            yield item

    def on_epoch_end(self) -> None:
        self.flat.on_epoch_end()


def structured_adapter(
    model: Any,
    x: Any,
    y: Any,
    sample_weight: Any,
    batch_size: Optional[int],
    steps: Optional[int],
    shuffle: Any,
    class_weight: Any = None,
) -> data_adapters.DataAdapter:
    device = model._device
    if data_adapters.is_iterator_source(x):
        source = x
        if isinstance(x, torch.utils.data.Dataset) and not isinstance(x, torch.utils.data.DataLoader):
            source = torch.utils.data.DataLoader(x, batch_size=batch_size or 32, shuffle=bool(shuffle))

        def as_tensors(item: Any) -> tuple:
            converted = tree.map_structure(lambda v: _as_tensor(v, device), item)
            return converted, None, None

        return RawBatches(data_adapters.IteratorDataAdapter(source, steps, as_tensors))
    xs = [_as_tensor(v, device) for v in tree.flatten(x)]
    ys = None if y is None else [_as_tensor(v, device) for v in tree.flatten(y)]
    ws = None
    if sample_weight is not None:
        ws = [data_utils.to_tensor(w, "float32", device) for w in tree.flatten(sample_weight)]
    if class_weight is not None:
        if ys is None or len(ys) != 1:
            raise ValueError("`class_weight` is only supported for Models with a single output.")
        from_classes = data_adapters.class_weight_to_sample_weight(ys[0], class_weight)
        ws, sample_weight = [from_classes], from_classes
    flat = data_adapters.ArrayDataAdapter(xs, ys, ws, batch_size or 32, shuffle=shuffle, steps=steps)
    return StructuredBatches(flat, (x, y, sample_weight))


def _as_tensor(value: Any, device: torch.device) -> Any:
    if value is None or isinstance(value, (str, bytes)):
        return value
    tensor = data_utils.to_tensor(value, None, device)
    return tensor.float() if tensor.dtype == torch.float64 else tensor
