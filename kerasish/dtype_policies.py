"""``keras.dtype_policies``: Keras 3's policy classes, including the quantized ones.

Layers keep only a policy's name; these objects are what ``layer.dtype_policy`` and configs
give (``mixed_precision/policy.py``, ``mixed_precision/quantized_policies.py``). GPTQ and AWQ
policies are refused by name.
"""

from __future__ import annotations

from typing import Any, Optional

from kerasish.mixed_precision.policy import (
    DTypePolicy,
    FloatDTypePolicy,
    Int4DTypePolicy,
    QuantizedDTypePolicy,
    QuantizedFloat8DTypePolicy,
    get,
)
from kerasish.mixed_precision.quantized_policies import MODES as QUANTIZATION_MODES


class GPTQDTypePolicy(QuantizedDTypePolicy):
    def __init__(self, mode: str, source_name: Optional[str] = None) -> None:
        super().__init__(mode, source_name)  # the name check refuses GPTQ by name


class AWQDTypePolicy(QuantizedDTypePolicy):
    def __init__(self, mode: str, source_name: Optional[str] = None) -> None:
        super().__init__(mode, source_name)  # the name check refuses AWQ by name


def serialize(dtype_policy: DTypePolicy) -> dict:
    """Keras 3's serialized policy (``module``/``class_name``/``config``)."""
    return {"module": "keras.dtype_policies", "class_name": type(dtype_policy).__name__,
            "config": dtype_policy.get_config(), "registered_name": None}


def deserialize(config: Any, custom_objects: Optional[dict] = None) -> DTypePolicy:
    return get(config)


__all__ = [
    "QUANTIZATION_MODES",
    "AWQDTypePolicy",
    "DTypePolicy",
    "FloatDTypePolicy",
    "GPTQDTypePolicy",
    "Int4DTypePolicy",
    "QuantizedDTypePolicy",
    "QuantizedFloat8DTypePolicy",
    "deserialize",
    "get",
    "serialize",
]
