"""Keras 3 operation nodes in saved functional graphs: op layers read from them and written as them.

Keras 3 records ``ops.sum(x, axis=1)`` or ``x + y`` on KerasTensors as graph nodes whose config
names the operation class (``{"module": "keras.src.ops.numpy", "class_name": "Sum", "config":
{"name": "sum", "axis": 1, "keepdims": false}}``) and whose node holds the arguments of the
class' ``call`` (the tensors, constants as ``__tensor__``/``__numpy__`` dicts). Reading, each
node becomes a ``TFOpLambda`` of the kerasish op with the config's arguments fixed. Writing does
the reverse for kerasish's op layers, with ``keras3_names`` saying which arguments go where, so
real Keras 3 rebuilds the same operations.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch

from kerasish import backend
from kerasish.ops import dispatch, keras3_names
from kerasish.ops.op_layer import SlicingOpLambda, TFOpLambda, decode_slices


def op_layer_from_keras3_config(config: dict) -> TFOpLambda:
    class_name = config["class_name"]
    arguments = dict(config.get("config") or {})
    name = arguments.pop("name", None)
    symbol = keras3_names.symbol_for_class(class_name, config.get("module"))
    symbol = symbol or dispatch.KERAS_PREFIX + backend.to_snake_case(class_name)
    try:
        dispatch.lookup_symbol(symbol)
    except ValueError:
        raise ValueError(
            f"The Keras 3 operation '{class_name}' (module {config.get('module')!r}) in this "
            "model config has no kerasish op: it is not supported yet."
        ) from None
    cls = SlicingOpLambda if symbol in dispatch.SLICING_SYMBOLS else TFOpLambda
    return cls(symbol, arguments=arguments, name=name)


def operation_call(layer: TFOpLambda, node: Any) -> tuple[keras3_names.Keras3Operation, dict, list]:
    """``(operation, constructor arguments, call arguments)`` of one call of an op layer, as
    Keras 3 records the same call."""
    operation = keras3_names.operation_for_symbol(layer.symbol)
    if operation is None:
        raise ValueError(
            f"Cannot save the op layer '{layer.name}' (op '{layer.symbol}') in Keras 3's format: "
            "Keras 3 has no operation for this op, so Keras could not load the file. Save in "
            "the tf.keras formats (`.h5`, `to_json()`) or wrap the computation in a layer."
        )
    args, kwargs = layer.full_arguments(tuple(node.call_args), dict(node.call_kwargs))
    if isinstance(layer, SlicingOpLambda):
        args, kwargs = decode_slices(args), {key: decode_slices(v) for key, v in kwargs.items()}
    signature = dispatch.call_signature(layer.function)
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    parameters = list(signature.parameters.values())
    call_names = operation.call_parameters or tuple(p.name for p in parameters[: operation.leading])
    call_args: list = []
    for parameter in parameters:
        if parameter.name not in call_names:
            continue
        value = bound.arguments[parameter.name]
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            call_args.extend(value)
        else:
            call_args.append(value)
    constructor = {}
    for parameter in parameters:
        if parameter.name in call_names:
            continue
        value = bound.arguments[parameter.name]
        if layer.symbol in keras3_names.OPERATOR_SYMBOLS:
            # TensorFlow's extra arguments (``name``, ``transpose_a``) have no Keras 3 meaning.
            if value is not parameter.default and value != parameter.default:
                raise ValueError(
                    f"Cannot save the op layer '{layer.name}' (op '{layer.symbol}') in Keras "
                    f"3's format: its argument {parameter.name}={value!r} has no counterpart "
                    f"in Keras 3's {operation.class_name} operation."
                )
            continue
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            constructor.update(value)
        else:
            constructor[parameter.name] = _config_value(value)
    return operation, _as_keras_constructs(operation, constructor), call_args


def _as_keras_constructs(operation: keras3_names.Keras3Operation, arguments: dict) -> dict:
    """The arguments as Keras 3's public functions resolve them before constructing the
    operation, so the file holds what Keras' own holds (a ``OneHot`` rebuilt with ``dtype=None``
    would give int64, and a ``data_format`` of None would depend on the loading session)."""
    arguments = dict(arguments)
    if arguments.get("dtype") is not None:
        arguments["dtype"] = backend.standardize_dtype(arguments["dtype"])
    elif operation.op in ("one_hot", "multi_hot"):
        arguments["dtype"] = backend.floatx()
    if operation.module.endswith(".nn"):
        if "data_format" in arguments and arguments["data_format"] is None:
            arguments["data_format"] = backend.image_data_format()
        if isinstance(arguments.get("padding"), str):
            arguments["padding"] = arguments["padding"].lower()
    if operation.op == "reshape" and isinstance(arguments.get("newshape"), int):
        arguments["newshape"] = [arguments["newshape"]]
    return arguments


def _config_value(value: Any) -> Any:
    if isinstance(value, torch.dtype):
        return backend.standardize_dtype(value)
    if isinstance(value, tuple):
        return [_config_value(v) for v in value]
    if isinstance(value, list):
        return [_config_value(v) for v in value]
    return value
