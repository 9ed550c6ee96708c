"""compile / fit / evaluate / train_on_batch / test_on_batch, with Keras semantics on torch.

The hot loop is a plain PyTorch step: forward, Keras loss, ``backward``, the Keras-formula
optimizer (foreach kernels), constraints. Loss and metric values stay on the device; the logs
handed to callbacks compute a metric's value only when a callback reads it (the progress bar a
few times a second, History once per epoch), so a step never waits for the device.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterator, Optional

import numpy as np
import torch

from kerasish import config as keras_config
from kerasish.training import custom_steps, data_adapters, jit_backend
from kerasish.training import data as data_utils
from kerasish.training.compile_utils import (
    LossesContainer,
    MetricsContainer,
    batch_size_of,
    flatten_targets,
)
from kerasish.utils import tree


class MetricLogs(Mapping):
    """Read-only ``{name: value}`` over metric objects; a value is computed when it is read."""

    def __init__(self, metrics: list, prefix: str = "") -> None:
        self._metrics = {prefix + m.name: m for m in metrics}

    def __getitem__(self, key: str) -> Any:
        return self._metrics[key].result()

    def __iter__(self) -> Iterator[str]:
        return iter(self._metrics)

    def __len__(self) -> int:
        return len(self._metrics)


def phase_mode(default: bool) -> bool:
    """Train (True) or inference mode: ``default``, unless Keras 2's ``K.set_learning_phase``
    fixed the phase for everything (0: inference even in ``fit``; 1: training even in
    ``predict``)."""
    from kerasish.keras2_backend import global_learning_phase

    phase = global_learning_phase()
    return default if phase is None else bool(phase)


# What ``compile(jit_compile=True)`` makes, per model, on first use.
_COMPILED_FUNCTIONS = ("_compiled_forward", "_compiled_forward_and_losses")


def _floats(logs: Mapping) -> dict:
    return {key: float(value) for key, value in logs.items()}


class Trainer(custom_steps.StepMethods):
    """Mixed into ``Model``: everything that needs an optimizer, a loss or metrics."""

    _jit_compile = False

    # ------------------------------------------------------------------ compile

    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Any = None,
        loss_weights: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: Any = "auto",
        auto_scale_loss: bool = True,
        **kwargs: Any,
    ) -> None:
        """Configure training. ``run_eagerly`` and ``steps_per_execution`` are accepted for
        compatibility; kerasish always runs eagerly, one step per call. ``jit_compile=True``
        runs the model's forward through ``torch.compile``."""
        from kerasish import optimizers

        kwargs.pop("sample_weight_mode", None)
        unknown = set(kwargs) - {"target_tensors", "distribute"}
        if unknown:
            raise ValueError(f"Invalid keyword argument(s) in `compile()`: {sorted(unknown)}.")
        self.optimizer = optimizers.get(optimizer)
        if auto_scale_loss and self.optimizer is not None and self._dtype == "mixed_float16":
            from kerasish.mixed_precision import LossScaleOptimizer

            if not isinstance(self.optimizer, LossScaleOptimizer):
                self.optimizer = LossScaleOptimizer(self.optimizer, name="loss_scale_optimizer")
        self._compile_config = {
            "optimizer": optimizer,
            "loss": loss,
            "metrics": metrics,
            "loss_weights": loss_weights,
            "weighted_metrics": weighted_metrics,
        }
        self._loss_spec = (loss, loss_weights)
        self._metrics_spec = (metrics, weighted_metrics)
        self.compiled_loss: Optional[LossesContainer] = None
        self.compiled_metrics: Optional[MetricsContainer] = None
        self._jit_compile = jit_compile is True
        self._run_eagerly = run_eagerly
        for compiled in _COMPILED_FUNCTIONS:
            self.__dict__.pop(compiled, None)
        self.stop_training = False
        self._is_compiled = True
        self.loss = loss  # Keras keeps what compile was given
        self._forget_step_state()
        if getattr(self, "output_names", None):
            self._build_containers(self.output_names)

    @property
    def compiled(self) -> bool:
        return getattr(self, "_is_compiled", False)

    def _build_containers(self, output_names: list) -> None:
        loss, loss_weights = self._loss_spec
        metrics, weighted_metrics = self._metrics_spec
        self.compiled_loss = LossesContainer(loss, loss_weights, output_names)
        self.compiled_metrics = MetricsContainer(
            metrics, weighted_metrics, output_names, losses=self.compiled_loss.losses
        )

    def _assert_compiled(self) -> None:
        if not getattr(self, "_is_compiled", False):
            raise RuntimeError(
                "You must compile your model before training/testing. Use "
                "`model.compile(optimizer, loss)`."
            )

    @property
    def metrics(self) -> list:
        """The loss trackers, the compiled metrics, then the Metric objects the model holds as
        attributes (Keras 3 tracks those, e.g. a custom ``train_step``'s trackers)."""
        compiled = []
        if getattr(self, "compiled_loss", None) is not None:
            compiled = list(self.compiled_loss.metrics)
            container = self.compiled_metrics
            if container is not None and container.built:
                compiled += container.metrics
            elif container is not None and container.has_metrics:
                compiled.append(custom_steps.CompileMetrics(self))
        # Then the Metric attributes and ``add_metric`` metrics of the model and its layers.
        return compiled + self._tracked_metrics()

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for metric in self.metrics:
            metric.reset_state()

    # ----------------------------------------------------------------- one step

    def _compiled(self, key: str, function: Any, **options: Any) -> Any:
        """``torch.compile(function, **options)``, made once and kept out of ``_modules`` (the
        model must not become its own submodule) and out of pickles and copies
        (``__getstate__``). dynamic=False: shape-specialised graphs (one recompile for a short
        last batch); dynamic shapes made a second compiled model in the same process fail
        inside inductor."""
        compiled = self.__dict__.get(key)
        if compiled is None:
            _ = self.forward  # lowers the graph now: torch.fx must not run inside a dynamo trace
            compiled = self.__dict__[key] = torch.compile(function, dynamic=False, **options)
        return compiled

    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())
        for compiled in _COMPILED_FUNCTIONS:
            state.pop(compiled, None)
        return state

    def _outputs_as_list(self, x: list, training: bool) -> list:
        kwargs = {"training": training} if self._call_accepts_training else {}
        forward = self._compiled("_compiled_forward", self) if self._jit_compile else self
        y_pred = forward(*x, **kwargs)
        flat = tree.flatten(y_pred)
        if self.compiled_loss is None:
            names = getattr(self, "output_names", None) or (
                ["output_1"] if len(flat) == 1 else [f"output_{i + 1}" for i in range(len(flat))]
            )
            self._build_containers(names)
        return flat

    def _forget_step_state(self) -> None:
        for stale in ("_trainable_tensors", "_regularized", "_constrained"):
            self.__dict__.pop(stale, None)

    def _prepare_step_state(self) -> None:
        variables = self.trainable_weights
        self._trainable_tensors = [v.tensor for v in variables]
        self._regularized = [v for v in variables if v.regularizer is not None]
        self._constrained = [v for v in variables if v.constraint is not None]
        # The Variables, not their tensors: an optimizer may need their Keras layout (Adafactor).
        self.optimizer.build(variables)

    def _regularization(self) -> Optional[torch.Tensor]:
        regularized = self.__dict__.get("_regularized")
        if regularized is None:
            regularized = [v for v in self.trainable_weights if v.regularizer is not None]
        penalties = [v.regularizer(v.value) for v in regularized]
        penalties.extend(self._activity_losses())
        if not penalties:
            return None
        return torch.stack([p.reshape(()) for p in penalties]).sum()

    def _activity_losses(self) -> list:
        collect = getattr(self, "_collected_call_losses", None)
        return collect() if collect is not None else []

    def _forward_and_losses(self, x: list, y: list, sample_weight: Optional[list], training: bool):
        """Forward and loss values: what ``jit_compile=True`` compiles as one graph, so the loss
        and its backward fuse with the model's (the trackers are updated outside)."""
        kwargs = {"training": training} if self._call_accepts_training else {}
        y_pred = tree.flatten(self(*x, **kwargs))
        total, values = self.compiled_loss.compute(y, y_pred, sample_weight)
        return y_pred, total, values

    def _train_step(self, x: list, y: list, sample_weight: Optional[list]) -> None:
        # The mode fit/train_on_batch set: True, unless K.set_learning_phase(0) fixed it.
        training = self.training
        if self._jit_compile and self.compiled_loss is not None:
            _check_target_count(y, self.compiled_loss.output_names)
            step = self._compiled(
                "_compiled_forward_and_losses",
                self._forward_and_losses,
                backend=jit_backend.training_backend,
            )
            y_pred, total, values = step(x, y, sample_weight, training)
        else:
            y_pred = self._outputs_as_list(x, training=training)
            _check_target_count(y, y_pred)
            total, values = self.compiled_loss.compute(y, y_pred, sample_weight)
        loss = self.compiled_loss.record(
            total, values, self._regularization(), batch_size_of(y_pred)
        )
        if self.__dict__.get("_trainable_tensors") is None:
            # After the first forward: a subclassed model creates its weights there.
            self._prepare_step_state()
        for tensor in self._trainable_tensors:
            tensor.grad = None
        self.optimizer.scale_loss(loss).backward()
        self.optimizer.apply([t.grad for t in self._trainable_tensors], self._trainable_tensors)
        if self._constrained:
            with torch.no_grad():
                for variable in self._constrained:
                    variable.assign(variable.constraint(variable.value))
        with torch.no_grad():
            self.compiled_metrics.update_state(y, [p.detach() for p in y_pred], sample_weight)

    def _test_step(self, x: list, y: list, sample_weight: Optional[list]) -> None:
        y_pred = self._outputs_as_list(x, training=self.training)  # see _train_step
        self.compiled_loss(y, y_pred, sample_weight, self._regularization())
        self.compiled_metrics.update_state(y, y_pred, sample_weight)

    # ------------------------------------------------------------------- data

    def _target_tensors(self, y: Any, device: torch.device, what: str = "y") -> Optional[list]:
        if y is None:
            return None
        names = getattr(self, "output_names", None)
        flat = flatten_targets(self, y, what) if names else tree.flatten(y)
        return [None if v is None else _target_tensor(v, device) for v in flat]

    def _sample_weight_tensors(self, sample_weight: Any, device: torch.device) -> Optional[list]:
        if sample_weight is None:
            return None
        names = getattr(self, "output_names", None) or ["output_1"]
        if isinstance(sample_weight, dict) or (
            isinstance(sample_weight, (list, tuple)) and len(names) > 1
        ):
            flat = flatten_targets(self, sample_weight, "sample_weight")
        else:
            flat = [sample_weight] * len(names)
        return [None if w is None else data_utils.to_tensor(w, "float32", device) for w in flat]

    def _adapter(
        self,
        x: Any,
        y: Any,
        sample_weight: Any,
        batch_size: Optional[int],
        steps: Optional[int],
        shuffle: Any,
        class_weight: Any = None,
    ) -> data_adapters.DataAdapter:
        steps = keras_config.capped_steps(steps)
        if data_adapters.is_iterator_source(x):
            if y is not None:
                raise ValueError(
                    "`y` argument is not supported when using a generator, a Sequence or a "
                    "torch DataLoader as input: the data source must yield (x, y) pairs."
                )
            source = x
            if isinstance(x, torch.utils.data.Dataset) and not isinstance(x, torch.utils.data.DataLoader):
                source = torch.utils.data.DataLoader(x, batch_size=batch_size or 32, shuffle=bool(shuffle))
            return data_adapters.IteratorDataAdapter(source, steps, self._batch_splitter(class_weight))
        device = self._device
        inputs = self._prepare_inputs(x)
        targets = self._target_tensors(y, device)
        weights = self._sample_weight_tensors(sample_weight, device)
        if class_weight is not None:
            weights = self._apply_class_weight(targets, weights, class_weight)
        return data_adapters.ArrayDataAdapter(
            inputs, targets, weights, batch_size or 32, shuffle=shuffle, steps=steps
        )

    def _custom_adapter(self, *args: Any) -> data_adapters.DataAdapter:
        """Batches as a custom ``train_step``/``test_step`` receives them (``data``)."""
        return custom_steps.structured_adapter(self, *args)

    def _evaluation_adapter(
        self, x: Any, y: Any, sample_weight: Any, batch_size: Optional[int], steps: Optional[int]
    ) -> data_adapters.DataAdapter:
        if custom_steps.overrides(self, custom_steps.EVALUATION_HOOKS):
            return self._custom_adapter(x, y, sample_weight, batch_size, steps, False)
        return self._adapter(x, y, sample_weight, batch_size, steps, False)

    def _apply_class_weight(self, targets: Optional[list], weights: Optional[list], class_weight: Any) -> list:
        if targets is None:
            raise ValueError("`class_weight` needs targets `y`.")
        if len(targets) > 1:
            raise ValueError(
                "`class_weight` is only supported for Models with a single output."
            )
        from_classes = data_adapters.class_weight_to_sample_weight(targets[0], class_weight)
        if weights is not None and weights[0] is not None:
            from_classes = from_classes * weights[0].reshape(from_classes.shape)
        return [from_classes]

    def _batch_splitter(self, class_weight: Any = None):
        device = self._device

        def split(item: Any) -> tuple:
            x, y, sample_weight = data_adapters.split_batch(item)
            inputs = self._prepare_inputs(x)
            targets = self._target_tensors(y, device)
            weights = self._sample_weight_tensors(sample_weight, device)
            if class_weight is not None:
                weights = self._apply_class_weight(targets, weights, class_weight)
            return inputs, targets, weights

        return split

    # -------------------------------------------------------------------- fit

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: Optional[int] = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Any = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: Any = True,
        class_weight: Any = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: Optional[int] = None,
        validation_steps: Optional[int] = None,
        validation_batch_size: Optional[int] = None,
        validation_freq: Any = 1,
        **kwargs: Any,
    ):
        from kerasish.callbacks import CallbackList

        if "nb_epoch" in kwargs:  # Keras 1 spelling that Keras 2 still accepted
            epochs = kwargs.pop("nb_epoch")
        if kwargs:
            raise ValueError(f"Invalid keyword argument(s) in `fit()`: {sorted(kwargs)}.")
        self._assert_compiled()
        verbose = 1 if verbose == "auto" else int(verbose)
        epochs = keras_config.capped_epochs(epochs)

        if validation_split and validation_data is None:
            if data_adapters.is_iterator_source(x):
                raise ValueError(
                    "`validation_split` is only supported for Tensors or NumPy arrays, found "
                    f"{type(x).__name__}."
                )
            x, y, sample_weight, validation_data = _split_for_validation(
                self, x, y, sample_weight, validation_split
            )
        custom_train = custom_steps.overrides(self, custom_steps.TRAINING_HOOKS)
        make_train_adapter = self._custom_adapter if custom_train else self._adapter
        train = make_train_adapter(x, y, sample_weight, batch_size, steps_per_epoch, shuffle, class_weight)
        validation = None
        if validation_data is not None:
            val_x, val_y, val_w = _unpack_validation(validation_data)
            validation = self._evaluation_adapter(
                val_x, val_y, val_w, validation_batch_size or batch_size, validation_steps
            )

        callback_list = CallbackList(
            callbacks,
            add_history=True,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=epochs,
            steps=train.steps_per_epoch,
        )
        self.stop_training = False
        self._forget_step_state()  # trainability may have changed since the last fit
        was_training = self.training
        callback_list.on_train_begin()
        # BackupAndRestore resumes an interrupted run by setting the epoch to start from.
        initial_epoch = getattr(self, "_initial_epoch", None) or initial_epoch
        epoch_logs: dict = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            self.train(phase_mode(True))
            callback_list.on_epoch_begin(epoch)
            logs = MetricLogs(self.metrics)
            step = -1
            for step, batch in enumerate(train.epoch()):
                callback_list.on_train_batch_begin(step)
                if custom_train:
                    logs = custom_steps.flat_logs(self.train_step(batch))
                else:
                    self._train_step(*batch)
                    if step == 0:
                        logs = MetricLogs(self.metrics)
                callback_list.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            if step < 0:
                raise ValueError("The training data produced no batches for this epoch.")
            train.on_epoch_end()
            epoch_logs = _floats(logs)
            if validation is not None and _runs_validation(epoch, validation_freq):
                callback_list.on_test_begin()
                val_logs = self._evaluate_adapter(validation, callback_list=callback_list)
                callback_list.on_test_end(val_logs)
                epoch_logs.update({f"val_{key}": value for key, value in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        if epochs > 0 and getattr(self.optimizer, "built", False):
            # With use_ema, Keras ends fit with the moving averages in the model.
            self.optimizer.finalize_variable_values(self.trainable_weights)
        callback_list.on_train_end(epoch_logs)
        self.train(was_training)
        return self.history

    # --------------------------------------------------------------- evaluate

    def _evaluate_adapter(
        self, adapter: data_adapters.DataAdapter, callback_list: Any, reset: bool = True
    ) -> dict:
        if reset:
            self.reset_metrics()
        was_training = self.training
        self.train(phase_mode(False))
        logs: Mapping = {}
        custom = custom_steps.overrides(self, custom_steps.EVALUATION_HOOKS)
        try:
            with torch.no_grad():
                for step, batch in enumerate(adapter.epoch()):
                    if callback_list is not None:
                        callback_list.on_test_batch_begin(step)
                    if custom:
                        logs = custom_steps.flat_logs(self.test_step(batch))
                    else:
                        if batch[1] is None:
                            raise ValueError("Evaluation needs targets `y` (or (x, y) batches).")
                        self._test_step(*batch)
                        logs = MetricLogs(self.metrics)
                    if callback_list is not None:
                        callback_list.on_test_batch_end(step, logs)
        finally:
            self.train(was_training)
        return _floats(logs)

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: Optional[int] = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: Optional[int] = None,
        callbacks: Any = None,
        return_dict: bool = False,
        **kwargs: Any,
    ) -> Any:
        from kerasish.callbacks import CallbackList

        if kwargs:
            raise ValueError(f"Invalid keyword argument(s) in `evaluate()`: {sorted(kwargs)}.")
        self._assert_compiled()
        verbose = 1 if verbose == "auto" else int(verbose)
        adapter = self._evaluation_adapter(x, y, sample_weight, batch_size, steps)
        callback_list = CallbackList(
            callbacks,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=1,
            steps=adapter.steps_per_epoch,
        )
        callback_list.on_test_begin()
        logs = self._evaluate_adapter(adapter, callback_list)
        callback_list.on_test_end(logs)
        return _results(logs, return_dict)

    # ------------------------------------------------------------ one batch

    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: Any = None,
        reset_metrics: bool = True,
        return_dict: bool = False,
    ) -> Any:
        self._assert_compiled()
        if reset_metrics:
            self.reset_metrics()
        custom = custom_steps.overrides(self, custom_steps.TRAINING_HOOKS)
        make_adapter = self._custom_adapter if custom else self._adapter
        adapter = make_adapter(x, y, sample_weight, None, None, False, class_weight)
        was_training = self.training
        self.train(phase_mode(True))
        logs: Mapping = {}
        try:
            for batch in _single_batch(adapter):
                if custom:
                    logs = custom_steps.flat_logs(self.train_step(batch))
                else:
                    self._train_step(*batch)
                    logs = MetricLogs(self.metrics)
        finally:
            self.train(was_training)
        return _results(_floats(logs), return_dict)

    def test_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        reset_metrics: bool = True,
        return_dict: bool = False,
    ) -> Any:
        self._assert_compiled()
        if reset_metrics:
            self.reset_metrics()
        adapter = self._evaluation_adapter(x, y, sample_weight, None, None)
        _single_batch(adapter)
        logs = self._evaluate_adapter(adapter, callback_list=None, reset=False)
        return _results(logs, return_dict)

    # ------------------------------------------------------------- Keras 2

    def fit_generator(self, generator: Any, steps_per_epoch: Optional[int] = None, epochs: int = 1,
                      verbose: Any = 1, callbacks: Any = None, validation_data: Any = None,
                      validation_steps: Optional[int] = None, class_weight: Any = None,
                      initial_epoch: int = 0, shuffle: bool = True, **kwargs: Any):
        """Keras 2's generator API: ``fit`` on the generator."""
        for ignored in ("max_queue_size", "workers", "use_multiprocessing", "validation_freq"):
            kwargs.pop(ignored, None)
        if kwargs:
            raise ValueError(f"Invalid keyword argument(s) in `fit_generator()`: {sorted(kwargs)}.")
        return self.fit(
            generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
            callbacks=callbacks, validation_data=validation_data,
            validation_steps=validation_steps, class_weight=class_weight,
            initial_epoch=initial_epoch, shuffle=shuffle,
        )

    def evaluate_generator(self, generator: Any, steps: Optional[int] = None, callbacks: Any = None,
                           verbose: Any = 0, **kwargs: Any) -> Any:
        for ignored in ("max_queue_size", "workers", "use_multiprocessing"):
            kwargs.pop(ignored, None)
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose, **kwargs)

    def predict_generator(self, generator: Any, steps: Optional[int] = None, callbacks: Any = None,
                          verbose: Any = 0, **kwargs: Any) -> Any:
        for ignored in ("max_queue_size", "workers", "use_multiprocessing"):
            kwargs.pop(ignored, None)
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose)


def _check_target_count(y: list, outputs: list) -> None:
    if len(y) != len(outputs):
        raise ValueError(
            f"The model has {len(outputs)} outputs, but the targets have {len(y)} arrays."
        )


def _single_batch(adapter: data_adapters.DataAdapter):
    if isinstance(adapter, custom_steps.StructuredBatches):
        adapter.steps_per_epoch = 1
        _single_batch(adapter.flat)
    elif isinstance(adapter, data_adapters.ArrayDataAdapter):
        adapter.batch_size = adapter.num_samples
        adapter.steps_per_epoch = 1
    return adapter.epoch()


def _results(logs: dict, return_dict: bool) -> Any:
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _runs_validation(epoch: int, validation_freq: Any) -> bool:
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


def _target_tensor(value: Any, device: torch.device) -> torch.Tensor:
    tensor = data_utils.to_tensor(value, None, device)
    if tensor.dtype == torch.float64:
        tensor = tensor.float()
    return tensor


def _unpack_validation(validation_data: Any) -> tuple:
    if data_adapters.is_iterator_source(validation_data):
        return validation_data, None, None
    if isinstance(validation_data, (list, tuple)) and len(validation_data) in (2, 3):
        x, y = validation_data[0], validation_data[1]
        w = validation_data[2] if len(validation_data) == 3 else None
        return x, y, w
    raise ValueError(
        "When passing `validation_data`, it must contain either 2 items (x_val, y_val), or 3 "
        f"items (x_val, y_val, val_sample_weights). Received: {type(validation_data).__name__}"
    )


def _split_for_validation(model: Any, x: Any, y: Any, sample_weight: Any, split: float) -> tuple:
    """Split arrays (any structure) at Keras' point, keeping each argument's structure."""
    structures = [x, y, sample_weight]
    flats = [tree.flatten(s) if s is not None else [] for s in structures]
    arrays = [
        a if isinstance(a, torch.Tensor) else np.asarray(a) for flat in flats for a in flat
    ]
    train_parts, val_parts = data_adapters.validation_split_arrays(arrays, split)
    out_train, out_val, offset = [], [], 0
    for structure, flat in zip(structures, flats):
        if structure is None:
            out_train.append(None)
            out_val.append(None)
            continue
        count = len(flat)
        out_train.append(tree.pack_sequence_as(structure, train_parts[offset:offset + count]))
        out_val.append(tree.pack_sequence_as(structure, val_parts[offset:offset + count]))
        offset += count
    return out_train[0], out_train[1], out_train[2], (out_val[0], out_val[1], out_val[2])
