"""Keras 3 operations in saved functional graphs, read as op layers.

Keras 3 records ``ops.sum(x, axis=1)`` or ``x + y`` on KerasTensors as graph nodes whose config
names the operation class (``{"module": "keras.src.ops.numpy", "class_name": "Sum", "config":
{"name": "sum", "axis": 1, "keepdims": false}}``) and whose node holds the tensor arguments.
The class name in snake case is the ``keras.ops`` function, and the config holds that
function's other arguments under the same names, so each node becomes a ``TFOpLambda`` of the
kerasish op with those arguments fixed.
"""

from __future__ import annotations

from kerasish import backend
from kerasish.ops import dispatch
from kerasish.ops.op_layer import SlicingOpLambda, TFOpLambda

# Keras 3 operation classes whose snake-case name is not the kerasish op's.
_SYMBOLS = {
    "GetItem": "__operators__.getitem",
    "Abs": dispatch.KERAS_PREFIX + "absolute",
    "RMSNorm": dispatch.KERAS_PREFIX + "rms_normalization",
    "AllClose": dispatch.KERAS_PREFIX + "allclose",
    "IsIn": dispatch.KERAS_PREFIX + "isin",
    "SearchSorted": dispatch.KERAS_PREFIX + "searchsorted",
    "LayerNorm": dispatch.KERAS_PREFIX + "layer_normalization",
    "FFT2": dispatch.KERAS_PREFIX + "fft2",
}


def op_layer_from_keras3_config(config: dict) -> TFOpLambda:
    class_name = config["class_name"]
    arguments = dict(config.get("config") or {})
    name = arguments.pop("name", None)
    symbol = _SYMBOLS.get(class_name) or dispatch.KERAS_PREFIX + backend.to_snake_case(class_name)
    try:
        dispatch.lookup_symbol(symbol)
    except ValueError:
        raise ValueError(
            f"The Keras 3 operation '{class_name}' (module {config.get('module')!r}) in this "
            "model config has no kerasish op: it is not supported yet."
        ) from None
    cls = SlicingOpLambda if symbol in dispatch.SLICING_SYMBOLS else TFOpLambda
    return cls(symbol, arguments=arguments, name=name)
