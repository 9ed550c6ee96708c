"""Names of Keras 3's quantized dtype policies: ``"<mode>_from_<source policy>"``.

``"int8_from_float32"``, ``"float8_from_float32"``, ``"int4/128_from_float32"`` (int4 with its
sub-channel block size; ``int4/-1`` and the older ``int4_from_...`` are per channel). A layer
keeps only the name (``layer._dtype``), as for every policy; its compute and variable dtypes are
the source policy's, read through ``SOURCES`` (one dict lookup, filled when a name is parsed).
"""

from __future__ import annotations

from typing import Any, Optional

MODES = ("int8", "float8", "int4", "gptq", "awq")
CLASS_NAMES = {"QuantizedDTypePolicy", "QuantizedFloat8DTypePolicy", "Int4DTypePolicy",
               "GPTQDTypePolicy", "AWQDTypePolicy"}
FLOAT8_HISTORY = 1024  # Keras' default amax_history_length, the only one kerasish supports

# quantized policy name -> source policy name, for every quantized name parsed so far.
SOURCES: dict[str, str] = {}


def source_of(name: str) -> str:
    """The source policy of a quantized name, checking the name as Keras does."""
    if name in SOURCES:
        return SOURCES[name]
    parts = name.split("_from_")
    if len(parts) != 2:
        raise ValueError(
            "Cannot convert `policy` into a valid pair (`mode`, `source_name`) to instantiate "
            f"`QuantizedDTypePolicy`. Received: policy={name}"
        )
    mode, source = parts
    _check_mode(mode)
    SOURCES[name] = source
    return source


def _check_mode(mode: str) -> None:
    base = mode.split("/")[0]
    if base in ("gptq", "awq"):
        raise NotImplementedError(
            f"The quantized dtype policy '{mode}' ({base.upper()} quantization) is not "
            "supported by kerasish; the supported modes are 'int8', 'int4' and 'float8'."
        )
    if base == "int4" and "/" in mode:
        parts = mode.split("/")
        expected = "'int4/<block_size>'"
        if len(parts) != 2:
            raise ValueError(
                f"Invalid mode for Int4DTypePolicy. Expected format {expected}, but got '{mode}'."
            )
        try:
            block_size = int(parts[1])
        except ValueError:
            raise ValueError(
                "Invalid mode for Int4DTypePolicy. <block_size> must be an integer. Expected "
                f"format {expected}, but got '{mode}'."
            ) from None
        if block_size < -1 or block_size == 0:
            raise ValueError(
                "Invalid block_size in mode. Supported values are -1 (per-channel) or a "
                f"positive integer (sub-channel), but got {block_size} from '{mode}'."
            )
        return
    if mode not in MODES:
        raise ValueError(
            f"Invalid quantization mode. Expected one of {MODES}. Received: mode={mode}"
        )


def check(name: str, compute_dtype: str) -> None:
    """Keras' refusal of int8 in float16, and kerasish's of mixed-precision sources."""
    mode = mode_of(name)
    if mode == "int8" and compute_dtype == "float16":
        raise ValueError(
            f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'."
        )
    if SOURCES[name].startswith("mixed_"):
        raise NotImplementedError(
            f"The quantized dtype policy '{name}': quantizing a layer whose policy is mixed "
            "precision is not supported by kerasish (quantize float32, bfloat16 or float16 "
            "layers)."
        )


def mode_of(name: str) -> Optional[str]:
    """``"int8"``, ``"int4"`` or ``"float8"``; None for an unquantized policy."""
    if name not in SOURCES:
        return None
    return name.split("_from_")[0].split("/")[0]


def block_size_of(name: str) -> Optional[int]:
    """The int4 block size a policy records: a positive size, -1 (per channel), or None (an
    int4 policy from before block sizes, per channel)."""
    mode = name.split("_from_")[0]
    return int(mode.split("/")[1]) if "/" in mode else None


def class_name_of(name: str) -> Optional[str]:
    mode = mode_of(name)
    if mode is None:
        return None
    if mode == "float8":
        return "QuantizedFloat8DTypePolicy"
    if mode == "int4" and block_size_of(name) is not None:
        return "Int4DTypePolicy"
    return "QuantizedDTypePolicy"


def config_of(name: str) -> dict:
    config = {"mode": name.split("_from_")[0], "source_name": SOURCES[name]}
    if mode_of(name) == "float8":
        config["amax_history_length"] = FLOAT8_HISTORY
    return config


def serialize(name: str) -> dict:
    """Keras 3's serialized policy (``module: keras.dtype_policies``)."""
    return {"module": "keras.dtype_policies", "class_name": class_name_of(name),
            "config": config_of(name), "registered_name": None}


def name_from_config(identifier: dict) -> str:
    """The policy name a serialized Keras 3 quantized policy stands for."""
    from kerasish.mixed_precision.policy import global_policy

    config = identifier.get("config") or {}
    if "amax_history_length" in config:
        check_history_length(config["amax_history_length"])
    source = config.get("source_name") or global_policy().name
    return f"{config.get('mode')}_from_{source}"


def check_history_length(length: Any) -> None:
    if not isinstance(length, int):
        raise TypeError(
            f"`amax_history_length` must be an integer. Received: amax_history_length={length}"
        )
    if length != FLOAT8_HISTORY:
        raise NotImplementedError(
            f"float8 quantization with amax_history_length={length}: kerasish supports only "
            f"Keras' default length {FLOAT8_HISTORY}."
        )
