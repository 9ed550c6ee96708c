"""Keras 3 operation nodes in configs (``{"module": "keras.src.ops.numpy", "class_name": "NotEqual"}``).

Keras 3 records ``keras.ops`` calls on symbolic tensors as graph nodes, including ones users
never wrote: ``Embedding(mask_zero=True)`` adds a ``NotEqual`` node whose output is the next
layer's ``mask``. An operation's config holds its constructor arguments (``axis``...) and its
node the tensors. kerasish runs such a node as an op layer (``ops.op_layer.TFOpLambda``) on
``keras.ops.<snake_case name>``; the constructor arguments become call arguments, which is
where tf.keras-schema configs keep them.
"""

from __future__ import annotations

from typing import Any, Optional

_CONFIG_KEYS = {"name", "trainable", "dtype"}


def is_operation(class_name: str, module: Optional[str]) -> bool:
    """Keras 3 operation configs carry an ops module; its legacy ``.h5`` writer drops the
    module, so there a class name that is a ``keras.ops`` function counts too."""
    if module:
        return module.startswith("keras.src.ops.") or module.startswith("keras.ops")
    from kerasish.ops import dispatch

    try:
        dispatch.lookup_symbol(_symbol(class_name, module))
    except ValueError:
        return False
    return True


def _symbol(class_name: str, module: Optional[str]) -> str:
    from kerasish.ops import keras3_names
    from kerasish.saving.keras3_weights import to_snake_case

    return keras3_names.symbol_for_class(class_name, module) or "keras.ops." + to_snake_case(class_name)


class OperationFactory:
    """``retrieve_class``'s answer for an operation: ``from_config`` builds its op layer."""

    def __init__(self, class_name: str, module: Optional[str] = None) -> None:
        self.class_name = class_name
        self.symbol = _symbol(class_name, module)

    def from_config(self, config: dict) -> Any:
        from kerasish.ops.dispatch import SLICING_SYMBOLS
        from kerasish.ops.op_layer import SlicingOpLambda, TFOpLambda

        cls = SlicingOpLambda if self.symbol in SLICING_SYMBOLS else TFOpLambda
        try:
            layer = cls(self.symbol, name=config.get("name"))
        except ValueError as err:
            raise NotImplementedError(
                f"The Keras 3 operation '{self.class_name}' ({self.symbol}) in this model's config "
                f"is not implemented by kerasish.ops: {err}"
            ) from err
        layer._keras3_call_kwargs = {k: v for k, v in config.items() if k not in _CONFIG_KEYS}
        return layer


def call_kwargs(layer: Any) -> dict:
    """The arguments an operation node was constructed with, to pass to each call."""
    return dict(getattr(layer, "_keras3_call_kwargs", {}))


# Op layers of binary arithmetic that Keras 3 records as its own operation nodes (``x + 3.0``
# in a Keras 3 functional model is a ``keras.src.ops.numpy.Add`` node), by op symbol.
_KERAS3_OPERATIONS = {
    "__operators__.add": "Add",
    "math.add": "Add",
    "keras.ops.add": "Add",
    "math.multiply": "Multiply",
    "keras.ops.multiply": "Multiply",
    "math.subtract": "Subtract",
    "keras.ops.subtract": "Subtract",
}


def operation_entry(layer: Any) -> Optional[dict]:
    """A Keras 3 operation config for an arithmetic op layer called on positional arguments
    only, so that Keras 3 rebuilds it (it has no ``TFOpLambda``); ``None`` for other layers."""
    from kerasish.ops.op_layer import TFOpLambda

    if type(layer) is not TFOpLambda or layer.arguments:
        return None
    class_name = _KERAS3_OPERATIONS.get(layer.symbol)
    if class_name is None or any(node.call_kwargs for node in layer._inbound_nodes):
        return None
    return {
        "module": "keras.src.ops.numpy",
        "class_name": class_name,
        "config": {"name": layer.name},
        "registered_name": class_name,
    }
