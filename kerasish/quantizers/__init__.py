"""``keras.quantizers``: Keras 3's weight quantization (int8, int4, float8) on torch.

``quantizers.py`` holds the arithmetic, ``config.py`` the configs; the layers' ``quantize`` and
quantized calls are in ``kerasish/layers/quantization.py`` and its per-layer modules.
GPTQ and AWQ (calibrated quantization) are refused by name.
"""

from kerasish.quantizers.config import (
    QUANTIZATION_MODES,
    AWQConfig,
    Float8QuantizationConfig,
    GPTQConfig,
    Int4QuantizationConfig,
    Int8QuantizationConfig,
    QuantizationConfig,
    deserialize,
    get,
    serialize,
)
from kerasish.quantizers.quantizers import (
    AbsMaxQuantizer,
    Quantizer,
    abs_max_quantize,
    abs_max_quantize_grouped_with_zero_point,
    compute_float8_amax_history,
    compute_float8_scale,
    compute_quantization_parameters,
    dequantize_with_sz_map,
    pack_int4,
    quantize_and_dequantize,
    quantize_with_sz_map,
    unpack_int4,
)

__all__ = [
    "QUANTIZATION_MODES",
    "AWQConfig",
    "AbsMaxQuantizer",
    "Float8QuantizationConfig",
    "GPTQConfig",
    "Int4QuantizationConfig",
    "Int8QuantizationConfig",
    "QuantizationConfig",
    "Quantizer",
    "abs_max_quantize",
    "abs_max_quantize_grouped_with_zero_point",
    "compute_float8_amax_history",
    "compute_float8_scale",
    "compute_quantization_parameters",
    "dequantize_with_sz_map",
    "deserialize",
    "get",
    "pack_int4",
    "quantize_and_dequantize",
    "quantize_with_sz_map",
    "serialize",
    "unpack_int4",
]
