"""Keras 3's weight quantization (int8, int4, float8, GPTQ, AWQ), which kerasish does not have.

Dense, EinsumDense and Embedding accept Keras' ``quantization_config`` argument (configs written
by Keras 3 carry it, as ``None``) and have Keras' ``quantize`` method; both refuse real use with
a NotImplementedError that names the feature, rather than an unknown-argument error.
"""

from __future__ import annotations

from typing import Any, Optional


def refuse_quantization(layer_class: str, quantization_config: Any, argument: str = "quantization_config") -> None:
    if quantization_config is not None:
        raise NotImplementedError(
            f"{layer_class}: `{argument}` (Keras 3 weight quantization) is not supported by "
            f"kerasish. Received: {argument}={quantization_config!r}"
        )


class QuantizationRefused:
    """Keras' ``layer.quantize(mode)``, refused by name."""

    def quantize(self, mode: Optional[str] = None, type_check: bool = True, config: Any = None) -> None:
        raise NotImplementedError(
            f"{type(self).__name__}.quantize(mode={mode!r}): Keras 3 weight quantization is not "
            "supported by kerasish."
        )
