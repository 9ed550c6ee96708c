"""What ``compile`` was called with, and the optimizer's state, in saved files.

* ``.h5`` (tf.keras): root attribute ``training_config`` (``loss``, ``metrics``,
  ``weighted_metrics``, ``loss_weights``, ``optimizer_config``) and an ``optimizer_weights``
  group;
* ``.keras`` (Keras 3): ``compile_config`` in ``config.json`` and ``optimizer/vars`` in the
  weights file.

A loaded model is compiled again and its optimizer is built on the model's trainable weights and
given the saved state, so training continues where it stopped. Optimizer state is restored on a
best-effort basis, as Keras does: a file whose state does not fit (another Keras version's
variable order, another optimizer) loads with a fresh optimizer and a warning.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np

# Keras 3 optimizer config keys tf.keras 2.x optimizers reject; dropped from .h5 files when unused.
_KERAS3_ONLY_OPTIMIZER_KEYS = {"loss_scale_factor": None, "gradient_accumulation_steps": None}
_LEGACY_PREFIXES = ("keras.losses.", "keras.metrics.", "tf.keras.losses.", "tf.keras.metrics.")


def compile_args(model: Any) -> Optional[dict]:
    """The arguments ``compile`` was called with, or ``None`` for an uncompiled model."""
    config = getattr(model, "_compile_config", None)
    if not config or getattr(model, "optimizer", None) is None:
        return None
    return config


# ------------------------------------------------------------------ writing


def keras3_compile_config(model: Any) -> Optional[dict]:
    """Keras 3's ``compile_config`` (``config.json`` of a ``.keras`` file)."""
    from kerasish import optimizers
    from kerasish.saving.serialization import serialize_keras_object

    args = compile_args(model)
    if args is None:
        return None
    return {
        "optimizer": optimizers.serialize(model.optimizer),
        "loss": serialize_keras_object(args.get("loss")),
        "loss_weights": serialize_keras_object(args.get("loss_weights")),
        "metrics": serialize_keras_object(args.get("metrics")),
        "weighted_metrics": serialize_keras_object(args.get("weighted_metrics")),
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }


def training_config(model: Any) -> Optional[dict]:
    """tf.keras' ``training_config`` (root attribute of an ``.h5`` model file)."""
    from kerasish import losses, metrics

    args = compile_args(model)
    if args is None:
        return None
    optimizer = model.optimizer
    optimizer_config = {
        key: value
        for key, value in optimizer.get_config().items()
        if not (key in _KERAS3_ONLY_OPTIMIZER_KEYS and value == _KERAS3_ONLY_OPTIMIZER_KEYS[key])
    }
    return {
        "loss": _map_specs(args.get("loss"), losses.serialize),
        "metrics": _map_specs(args.get("metrics"), metrics.serialize),
        "weighted_metrics": _map_specs(args.get("weighted_metrics"), metrics.serialize),
        "loss_weights": args.get("loss_weights"),
        "optimizer_config": {"class_name": type(optimizer).__name__, "config": optimizer_config},
    }


def _map_specs(spec: Any, fn: Any) -> Any:
    """Apply ``fn`` to every loss/metric in a (nested list/dict) compile argument."""
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, dict) and "class_name" not in spec:
        return {key: _map_specs(value, fn) for key, value in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_map_specs(value, fn) for value in spec]
    if isinstance(spec, dict):
        return spec
    return fn(spec)


def _slot_layouts(model: Any) -> list:
    """For each optimizer variable: the Keras<->torch layout of the weight it follows, if any.

    Optimizer slots live in torch layout next to their parameters; files hold Keras layout.
    """
    weights = list(model.trainable_weights)
    layouts = []
    for _, index in model.optimizer.variable_slots():
        variable = weights[index] if index is not None and index < len(weights) else None
        layouts.append(getattr(variable, "_layout", None))
    return layouts


def optimizer_state(model: Any) -> Optional[tuple[str, list[np.ndarray]]]:
    """``(optimizer name, values in Keras 3's order and Keras layout)``, or ``None``."""
    optimizer = getattr(model, "optimizer", None)
    if compile_args(model) is None or not getattr(optimizer, "built", False):
        return None
    values = []
    for tensor, layout in zip(optimizer.variables, _slot_layouts(model)):
        value = layout.to_keras(tensor) if layout is not None else tensor
        values.append(value.detach().cpu().numpy().copy())
    return optimizer.name, values


def optimizer_weight_names(model: Any) -> list[str]:
    """tf.keras-style names (``iteration:0``, ``Adam/m/dense/kernel:0``): informative only."""
    optimizer = model.optimizer
    paths = [v.path for v in model.trainable_weights]
    names = []
    for suffix, index in optimizer.variable_slots():
        if index is None:
            names.append(f"{suffix}:0")
        else:
            path = paths[index] if index < len(paths) else f"variable_{index}"
            names.append(f"{type(optimizer).__name__}/{suffix}/{path}:0")
    unique = []
    for name in names:
        while name in unique:
            name = name.replace(":0", "_1:0")
        unique.append(name)
    return unique


# ------------------------------------------------------------------ reading


def _clean_name(value: Any) -> Any:
    if isinstance(value, str):
        for prefix in _LEGACY_PREFIXES:
            if value.startswith(prefix):
                return value[len(prefix):]
    return value


def _decode_specs(spec: Any, deserialize: Any, custom_objects: Optional[dict]) -> Any:
    if spec is None:
        return None
    if isinstance(spec, str):
        return _clean_name(spec)
    if isinstance(spec, dict) and "class_name" in spec:
        return deserialize(spec, custom_objects)
    if isinstance(spec, dict):
        return {key: _decode_specs(value, deserialize, custom_objects) for key, value in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_decode_specs(value, deserialize, custom_objects) for value in spec]
    return spec


def _compile(model: Any, optimizer: Any, config: dict, custom_objects: Optional[dict]) -> None:
    from kerasish import losses, metrics

    single_output = len(getattr(model, "outputs", None) or [None]) == 1

    def metric_specs(key: str) -> Any:
        specs = _decode_specs(config.get(key), metrics.deserialize, custom_objects)
        # tf.keras stores metrics per output ([[...]]) even for a single output.
        if single_output and isinstance(specs, list) and len(specs) == 1 and isinstance(specs[0], list):
            specs = specs[0]
        return specs

    model.compile(
        optimizer=optimizer,
        loss=_decode_specs(config.get("loss"), losses.deserialize, custom_objects),
        metrics=metric_specs("metrics"),
        loss_weights=config.get("loss_weights"),
        weighted_metrics=metric_specs("weighted_metrics"),
    )


def compile_from_config(model: Any, config: dict, custom_objects: Optional[dict] = None) -> None:
    """Compile ``model`` from a Keras 3 ``compile_config``."""
    from kerasish import optimizers

    optimizer = config.get("optimizer")
    if isinstance(optimizer, dict):
        optimizer = optimizers.deserialize(optimizer, custom_objects)
    _compile(model, optimizer, config, custom_objects)


def compile_from_training_config(model: Any, config: dict, custom_objects: Optional[dict] = None) -> None:
    """Compile ``model`` from a tf.keras / Keras 2 ``training_config``."""
    from kerasish import optimizers

    optimizer_config = config.get("optimizer_config")
    optimizer = optimizers.deserialize(optimizer_config, custom_objects) if optimizer_config else "rmsprop"
    _compile(model, optimizer, config, custom_objects)


def restore_optimizer_state(model: Any, values: list, source: str) -> bool:
    """Build the optimizer on the model's trainable weights and give it ``values`` (Keras layout).

    Accepts Keras 3's order (``iterations, learning_rate, slots...``) and tf.keras 2.11+'s (no
    learning rate entry). Anything else loads with a fresh optimizer and a warning.
    """
    import torch

    optimizer = model.optimizer
    optimizer.build(list(model.trainable_weights))
    layouts = _slot_layouts(model)
    current = [
        (layout.to_keras(t) if layout is not None else t).detach().cpu().numpy()
        for t, layout in zip(optimizer.variables, layouts)
    ]
    candidates = [list(values)]
    slots = optimizer.variable_slots()
    if len(slots) > 1 and slots[1][0] == "learning_rate" and len(values) == len(current) - 1:
        candidates.append([values[0], current[1], *values[1:]])
    for candidate in candidates:
        if len(candidate) == len(current) and all(
            np.shape(a) == np.shape(b) for a, b in zip(candidate, current)
        ):
            torch_values = [
                layout.to_torch(torch.as_tensor(np.asarray(value))) if layout is not None else value
                for value, layout in zip(candidate, layouts)
            ]
            optimizer.set_weights(torch_values)
            return True
    warnings.warn(
        f"Could not restore the optimizer state saved in {source}: the file holds "
        f"{len(values)} optimizer variables with shapes {[np.shape(v) for v in values]}, the "
        f"optimizer '{optimizer.name}' has {len(current)} with shapes "
        f"{[np.shape(v) for v in current]}. The model is compiled with a freshly initialized "
        "optimizer.",
        stacklevel=3,
    )
    return False
