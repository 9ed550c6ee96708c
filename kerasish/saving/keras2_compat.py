"""What a Keras 1/2 file means, in kerasish terms, and back.

Keras 2 (2.2.x and tf.keras 2.x alike) computed ``hard_sigmoid`` as ``clip(0.2x + 0.5, 0, 1)``;
Keras 3 computes ``relu6(x + 3) / 6`` under the same name. ``hard_sigmoid`` is the Keras 2.2.5
default recurrent activation of LSTM and GRU, so a Keras 2 model read with Keras 3's meaning
silently predicts something else. Reading therefore maps the name by the file's
``keras_version``, and writing maps it back:

* a file declaring Keras 1.x/2.x: ``hard_sigmoid`` -> ``legacy_hard_sigmoid`` (also under
  Keras 1's key ``inner_activation``);
* files kerasish writes declare ``KERAS2_VERSION`` (they use tf.keras' schema) and store
  ``legacy_hard_sigmoid`` as ``hard_sigmoid``. A model using Keras 3's ``hard_sigmoid`` cannot
  be said in Keras 2 terms; its file declares ``KERAS3_VERSION`` so the name keeps Keras 3's
  meaning when read back.
"""

from __future__ import annotations

from typing import Any, Optional

KERAS2_VERSION = "2.15.0"
KERAS3_VERSION = "3.15.1"
# Keras 1 named the recurrent activation `inner_activation` (converted by kerasish.legacy).
_ACTIVATION_KEYS = ("activation", "recurrent_activation", "inner_activation")
# Classes whose Keras 1/2 configs may omit `reset_after`: before Keras 2.1.5 every GRU applied
# the reset gate before the recurrent matmul, Keras 3's default is the other formula.
_GRU_CLASSES = ("GRU", "GRUCell")


def is_keras2_version(keras_version: Any) -> bool:
    """True for a ``keras_version`` of Keras 1.x/2.x (bytes or str, as files store it)."""
    if isinstance(keras_version, bytes):
        keras_version = keras_version.decode("utf-8")
    return isinstance(keras_version, str) and keras_version.split(".", 1)[0] in {"1", "2"}


def read_config(config: Any, keras_version: Any) -> Any:
    """``config`` with Keras 2 meanings made explicit, when the file declares Keras 1/2."""
    if not is_keras2_version(keras_version):
        return config
    return _map_activations(_old_layer_configs(config), "hard_sigmoid", "legacy_hard_sigmoid")


def _old_layer_configs(value: Any) -> Any:
    """Layer configs with what older Keras left implicit said explicitly: Keras 1's
    ``input_dtype`` is ``dtype``, and a GRU without ``reset_after`` resets before the matmul."""
    if isinstance(value, (list, tuple)):
        return type(value)(_old_layer_configs(item) for item in value)
    if not isinstance(value, dict):
        return value
    mapped = {key: _old_layer_configs(item) for key, item in value.items()}
    inner = mapped.get("config")
    if "class_name" in mapped and isinstance(inner, dict):
        inner = dict(inner)
        if "input_dtype" in inner:
            dtype = inner.pop("input_dtype")
            inner.setdefault("dtype", dtype)
        if mapped["class_name"] in _GRU_CLASSES:
            inner.setdefault("reset_after", False)
        mapped["config"] = inner
    return mapped


def write_config(config: Any) -> tuple[Any, str]:
    """``(config, keras_version)`` for a tf.keras-schema file (``.h5``, JSON, YAML)."""
    if _uses(config, "hard_sigmoid"):
        if _uses(config, "legacy_hard_sigmoid"):
            raise ValueError(
                "This model uses both Keras 3's `hard_sigmoid` and Keras 2's "
                "`legacy_hard_sigmoid`; no Keras version gives both one name, so it cannot be "
                "written in the legacy formats (.h5, JSON, YAML). Save it as `.keras`."
            )
        return config, KERAS3_VERSION
    return _map_activations(config, "legacy_hard_sigmoid", "hard_sigmoid"), KERAS2_VERSION


def _map_activations(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        mapped = {}
        for key, item in value.items():
            if key in _ACTIVATION_KEYS and _names(item, old):
                mapped[key] = new
            else:
                mapped[key] = _map_activations(item, old, new)
        return mapped
    if isinstance(value, (list, tuple)):
        return type(value)(_map_activations(item, old, new) for item in value)
    return value


def _names(item: Any, name: str) -> bool:
    if isinstance(item, dict) and item.get("class_name") == "function":
        item = item.get("config")
    return item == name


def _uses(value: Any, name: str) -> bool:
    if isinstance(value, dict):
        return any(
            (key in _ACTIVATION_KEYS and _names(item, name)) or _uses(item, name)
            for key, item in value.items()
        )
    if isinstance(value, (list, tuple)):
        return any(_uses(item, name) for item in value)
    return False


def version_of(keras_version: Any) -> Optional[str]:
    if isinstance(keras_version, bytes):
        return keras_version.decode("utf-8")
    return keras_version
