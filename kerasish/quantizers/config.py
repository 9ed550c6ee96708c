"""Keras 3's quantization configs (``keras.quantizers.*QuantizationConfig``).

A config says how a layer's ``quantize(mode)`` quantizes: which weight quantizer replaces the
layer's default one, which quantizer (if any) quantizes activations on the fly, and for int4
the block size of sub-channel quantization. ``resolve`` turns ``quantize``'s ``mode``/``config``
arguments into one config, with Keras' errors.

Configs are written in layer configs under ``quantization_config`` in Keras 3's form
(``module: keras.quantizers``), so real Keras reads them back.
"""

from __future__ import annotations

from typing import Any, Optional

from kerasish.quantizers.quantizers import AbsMaxQuantizer, Quantizer

QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")


def _refuse_calibrated(mode: str) -> NotImplementedError:
    return NotImplementedError(
        f"Keras 3's {mode.upper()} quantization (mode='{mode}', calibrated on a dataset) is not "
        "supported by kerasish; the supported modes are 'int8', 'int4' and 'float8'."
    )


class QuantizationConfig:
    """Base class: a weight quantizer and an activation quantizer (either may be None)."""

    def __init__(self, weight_quantizer: Optional[Quantizer] = None,
                 activation_quantizer: Optional[Quantizer] = None) -> None:
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self) -> str:
        raise NotImplementedError(
            "Subclasses must implement this property. Do not instantiate QuantizationConfig "
            "directly."
        )

    def get_config(self) -> dict:
        return {
            "weight_quantizer": serialize(self.weight_quantizer),
            "activation_quantizer": serialize(self.activation_quantizer),
        }

    @classmethod
    def from_config(cls, config: dict) -> QuantizationConfig:
        return cls(
            weight_quantizer=deserialize(config.get("weight_quantizer")),
            activation_quantizer=deserialize(config.get("activation_quantizer")),
        )

    @staticmethod
    def weight_quantizer_or_default(config: Optional[QuantizationConfig], default: Any) -> Any:
        if config is not None and config.weight_quantizer is not None:
            return config.weight_quantizer
        return default

    @staticmethod
    def activation_quantizer_or_default(config: Optional[QuantizationConfig], default: Any) -> Any:
        # A config's None means "no activation quantization", not "the default".
        return config.activation_quantizer if config is not None else default


class Int8QuantizationConfig(QuantizationConfig):
    """int8 weights per output channel; activations quantized per row by default."""

    def __init__(self, weight_quantizer: Optional[Quantizer] = None,
                 activation_quantizer: Any = "default") -> None:
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        if self.weight_quantizer is not None and self.weight_quantizer.output_dtype != "int8":
            raise ValueError(
                "Int8QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                f"Received: output_dtype={self.weight_quantizer.output_dtype}"
            )

    @property
    def mode(self) -> str:
        return "int8"


class Int4QuantizationConfig(QuantizationConfig):
    """int4 weights (two per byte), weight-only by default; ``block_size`` rows share a scale
    and zero point (sub-channel), or ``None``/``-1`` for one symmetric scale per channel."""

    def __init__(self, weight_quantizer: Optional[Quantizer] = None,
                 activation_quantizer: Any = "default", block_size: Optional[int] = 128) -> None:
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and block_size != -1 and block_size <= 0:
            raise ValueError(
                "block_size must be None, -1, or a positive integer. "
                f"Received: block_size={block_size}"
            )
        self.block_size = block_size
        sub_channel = block_size is not None and block_size > 0
        if sub_channel and (self.weight_quantizer is not None or self.activation_quantizer is not None):
            raise ValueError(
                "Int4 sub-channel quantization (block_size > 0) does not support custom "
                "quantizers. Either set block_size to None or -1 for per-channel quantization, "
                f"or remove the custom quantizer arguments. Received: block_size={block_size}"
            )
        if self.weight_quantizer is not None:
            if tuple(self.weight_quantizer.value_range) != (-8, 7):
                raise ValueError(
                    "Int4QuantizationConfig requires a weight_quantizer with value_range=(-8, 7). "
                    f"Received: value_range={self.weight_quantizer.value_range}"
                )
            if self.weight_quantizer.output_dtype != "int8":
                raise ValueError(
                    "Int4QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                    f"Received: output_dtype={self.weight_quantizer.output_dtype}"
                )

    @property
    def mode(self) -> str:
        return "int4"

    def get_config(self) -> dict:
        return {**super().get_config(), "block_size": self.block_size}

    @classmethod
    def from_config(cls, config: dict) -> Int4QuantizationConfig:
        # Files from before block_size existed were per-channel.
        return cls(
            weight_quantizer=deserialize(config.get("weight_quantizer")),
            activation_quantizer=deserialize(config.get("activation_quantizer")),
            block_size=config.get("block_size", None),
        )


class Float8QuantizationConfig(QuantizationConfig):
    """float8 training with delayed scaling; takes no quantizers."""

    def __init__(self) -> None:
        super().__init__(None, None)

    @property
    def mode(self) -> str:
        return "float8"

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Float8QuantizationConfig:
        return cls()


class GPTQConfig:
    """Keras 3's GPTQ config, refused by name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise _refuse_calibrated("gptq")


class AWQConfig:
    """Keras 3's AWQ config, refused by name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise _refuse_calibrated("awq")


_CLASSES = {
    cls.__name__: cls
    for cls in (
        Quantizer, AbsMaxQuantizer, QuantizationConfig, Int8QuantizationConfig,
        Int4QuantizationConfig, Float8QuantizationConfig,
    )
}
_SNAKE = {
    "quantizer": Quantizer,
    "abs_max_quantizer": AbsMaxQuantizer,
    "int8_quantization_config": Int8QuantizationConfig,
    "int4_quantization_config": Int4QuantizationConfig,
    "float8_quantization_config": Float8QuantizationConfig,
}


def serialize(obj: Any) -> Any:
    """Keras 3's serialized form of a quantizer or config (None stays None)."""
    if obj is None:
        return None
    class_name = type(obj).__name__
    if class_name not in _CLASSES:
        from kerasish.saving.serialization import serialize_keras_object

        return serialize_keras_object(obj)
    config = obj.get_config()
    if "value_range" in config:
        config = {**config, "value_range": tuple(config["value_range"])}
    return {"module": "keras.quantizers", "class_name": class_name, "config": config,
            "registered_name": None}


def deserialize(config: Any, custom_objects: Optional[dict] = None) -> Any:
    """A quantizer or config from its serialized form (an instance is returned as it is)."""
    if config is None or isinstance(config, (Quantizer, QuantizationConfig)):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret quantizer identifier: {config}")
    class_name = config["class_name"]
    if class_name in ("GPTQConfig", "AWQConfig"):
        raise _refuse_calibrated(class_name[:-6].lower())
    cls = (custom_objects or {}).get(class_name) or _CLASSES.get(class_name)
    if cls is None:
        from kerasish.saving.serialization import deserialize_keras_object

        return deserialize_keras_object(config, custom_objects)
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier: Any, **kwargs: Any) -> Any:
    """Keras' ``quantizers.get``: None, a config dict, a class name or an instance."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _CLASSES.get(identifier) or _SNAKE.get(identifier)
    else:
        obj = identifier
    if callable(obj):
        return obj(**kwargs) if isinstance(obj, type) else obj
    raise ValueError(f"Could not interpret quantizer identifier: {identifier}")


def resolve(mode: Optional[str], config: Any) -> QuantizationConfig:
    """``quantize(mode, config)``'s arguments as one config, with Keras' checks and errors."""
    if isinstance(config, str):  # Keras' shortcut: the mode given as the config
        mode, config = config, None
    _check_mode(mode)
    if config is None:
        if mode == "int8":
            config = Int8QuantizationConfig()
        elif mode == "int4":
            config = Int4QuantizationConfig()
        elif mode == "float8":
            config = Float8QuantizationConfig()
        elif mode in ("gptq", "awq"):
            raise _refuse_calibrated(mode)
        else:
            raise ValueError("You must provide either `mode` or `config` to `quantize`.")
    elif not isinstance(config, QuantizationConfig):
        raise ValueError(
            "Argument `config` must be an instance of `QuantizationConfig`. "
            f"Received: config={config} (of type {type(config)})"
        )
    if mode is not None and config.mode != mode:
        raise ValueError(f"Contradictory arguments: mode='{mode}' but config.mode='{config.mode}'")
    _check_mode(config.mode)
    return config


def _check_mode(mode: Optional[str]) -> None:
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(
            f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
            f"Received: mode={mode}"
        )
