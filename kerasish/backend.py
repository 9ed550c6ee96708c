"""Global Keras settings (``floatx``, ``epsilon``, ``image_data_format``) and layer naming.

Layer names follow tf.keras 2.x: the snake_case class name, then ``_1``, ``_2``... for later
instances (``dense``, ``dense_1``); inputs count from 1 (``input_1``). ``clear_session()``
restarts the counters, as in Keras.
"""

from __future__ import annotations

import collections
import re

import torch

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_NAME_UIDS: collections.defaultdict = collections.defaultdict(int)


def floatx() -> str:
    return _FLOATX


def set_floatx(value: str) -> None:
    global _FLOATX
    if value not in {"float16", "bfloat16", "float32", "float64"}:
        raise ValueError(f"Unknown floatx type: {value!r}")
    _FLOATX = str(value)


def epsilon() -> float:
    return _EPSILON


def set_epsilon(value: float) -> None:
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    global _IMAGE_DATA_FORMAT
    if data_format not in {"channels_last", "channels_first"}:
        raise ValueError(
            "The `data_format` argument must be one of 'channels_first', 'channels_last'. "
            f"Received: {data_format!r}"
        )
    _IMAGE_DATA_FORMAT = data_format


def standardize_data_format(data_format: str | None) -> str:
    if data_format is None:
        return image_data_format()
    data_format = str(data_format).lower()
    if data_format not in {"channels_last", "channels_first"}:
        raise ValueError(
            "The `data_format` argument must be one of 'channels_first', 'channels_last'. "
            f"Received: {data_format!r}"
        )
    return data_format


def clear_session() -> None:
    """Restart layer auto-naming, so the next Dense is ``dense`` again, and forget a learning
    phase fixed by ``set_learning_phase`` (Keras 2 reset it with the graph)."""
    _NAME_UIDS.clear()
    from kerasish import keras2_backend

    keras2_backend._LEARNING_PHASE[0] = None
    from kerasish import random

    random.reset_global_seed_generator()


def get_uid(prefix: str = "") -> int:
    """1, 2, 3... per prefix (Keras 2 custom layers name themselves with it); shares the
    auto-naming counters, so ``clear_session()`` restarts it."""
    _NAME_UIDS[prefix] += 1
    return _NAME_UIDS[prefix]


def backend() -> str:
    """The backend's name, as Keras 3 on torch reports it."""
    return "torch"


def cast_to_floatx(x):
    """A NumPy array (or scalar) cast to ``floatx()``."""
    import numpy as np

    return np.asarray(x, dtype=_FLOATX)


def image_dim_ordering() -> str:
    """Keras 1/2.0's name for the data format: ``'tf'`` (channels_last) or ``'th'``."""
    return "th" if _IMAGE_DATA_FORMAT == "channels_first" else "tf"


def set_image_dim_ordering(dim_ordering: str) -> None:
    if dim_ordering not in {"tf", "th"}:
        raise ValueError("Unknown dim_ordering:", dim_ordering)
    set_image_data_format("channels_first" if dim_ordering == "th" else "channels_last")


def to_snake_case(name: str) -> str:
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    snake = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    return snake if snake[0] != "_" else "private" + snake


def unique_object_name(base: str, zero_based: bool = True) -> str:
    count = _NAME_UIDS[base]
    _NAME_UIDS[base] += 1
    if zero_based:
        return base if count == 0 else f"{base}_{count}"
    return f"{base}_{count + 1}"


_TORCH_DTYPES = {
    "float16": torch.float16,
    "half": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float": torch.float32,
    "float64": torch.float64,
    "double": torch.float64,
    "uint8": torch.uint8,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "bool": torch.bool,
    "complex64": torch.complex64,
    "complex128": torch.complex128,
    "float8_e4m3fn": torch.float8_e4m3fn,
    "float8_e5m2": torch.float8_e5m2,
    # torch has no arithmetic on these; Keras' torch backend holds them one size up.
    "uint16": torch.int32,
    "uint32": torch.int64,
}


def standardize_dtype(dtype) -> str:
    """Any dtype spelling (string, numpy, torch) as Keras' string name."""
    if dtype is None:
        return floatx()
    if isinstance(dtype, torch.dtype):
        return str(dtype).replace("torch.", "")
    if isinstance(dtype, dict):  # a Keras 3 / tf.keras DTypePolicy config
        dtype = dtype.get("config", {}).get("name", floatx())
    name = getattr(dtype, "name", dtype)
    name = str(name)
    if name.startswith("mixed_") or name == "string":  # strings: Input(dtype="string")
        return name
    if name not in _TORCH_DTYPES:
        try:
            import numpy as np

            name = np.dtype(name).name
        except TypeError as err:
            raise ValueError(f"Invalid dtype: {dtype!r}") from err
    if name not in _TORCH_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype!r}")
    return {"float": "float32", "double": "float64", "half": "float16"}.get(name, name)


def result_type(*dtypes):
    """Keras 3's dtype promotion (``kerasish.dtype_promotion``)."""
    from kerasish import dtype_promotion

    return dtype_promotion.result_type(*dtypes)


def is_float_dtype(dtype) -> bool:
    from kerasish import dtype_promotion

    return dtype_promotion.is_float_dtype(dtype)


def is_int_dtype(dtype) -> bool:
    from kerasish import dtype_promotion

    return dtype_promotion.is_int_dtype(dtype)


def torch_dtype(dtype) -> torch.dtype:
    name = standardize_dtype(dtype)
    if name.startswith("mixed_"):
        return torch.float32
    if name == "string":
        raise TypeError("torch has no string dtype: strings stay NumPy arrays in kerasish.")
    return _TORCH_DTYPES[name]


def __getattr__(name: str):
    """Keras 2's tensor functions (``K.sum``, ``K.batch_dot``, ``K.function``...), from
    ``kerasish.keras2_backend``. Resolved on access so that this settings module stays free of
    imports and its own code keeps Python's ``sum``/``max``/``abs``."""
    from kerasish import keras2_backend

    if name in keras2_backend.__all__:
        return getattr(keras2_backend, name)
    raise AttributeError(f"module 'kerasish.backend' has no attribute {name!r}")


def __dir__() -> list:
    from kerasish import keras2_backend

    return sorted(set(globals()) | set(keras2_backend.__all__))
