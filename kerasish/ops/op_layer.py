"""Op layers: one recorded call of an op on KerasTensors, as tf.keras' ``TFOpLambda``.

``keras.ops.add(a, b)``, ``K.sum(x, axis=1)`` or ``a + b`` on KerasTensors creates one of these
layers and calls it, so the call becomes an ordinary node of the graph: the lowering emits
``self.<layer>(a, b)``, and the config stores the op by its symbol (``{"function":
"keras.ops.add"}``, or tf.keras' ``"__operators__.add"`` for Python operators) and its arguments
in the node, the first argument as the node's inputs and the others by their argument names.
That is tf.keras' ``TFOpLambda``/``SlicingOpLambda`` schema, so kerasish reads the op layers of
tf.keras configs (for the TensorFlow functions in ``tf_symbols``) and tf.keras reads kerasish's
Python-operator layers.

Layers named after kerasish ops take Keras 3's node names (``add``, ``sum``); layers of
TensorFlow symbols take tf.keras' (``tf.math.multiply``, ``tf.__operators__.getitem``).
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import torch

from kerasish import backend
from kerasish.layers.base import Layer
from kerasish.ops import dispatch
from kerasish.utils import tree


def _default_name(symbol: str) -> str:
    for prefix in (dispatch.KERAS_PREFIX, dispatch.BACKEND_PREFIX):
        if symbol.startswith(prefix):
            return symbol[len(prefix):]
    return "tf." + symbol


class TFOpLambda(Layer):
    """Runs the op named by ``function`` (a symbol string, or a registered op) on its call's arguments."""

    # Configs keep the first argument's structure as it is (a single tensor is not put in a list).
    _preserve_input_structure_in_config = True

    def __init__(self, function: Any, arguments: Optional[dict] = None, **kwargs: Any) -> None:
        symbol = function if isinstance(function, str) else dispatch.symbol_of(function)
        op = dispatch.lookup_symbol(symbol)
        if kwargs.get("name") is None:
            kwargs["name"] = backend.unique_object_name(_default_name(symbol))
        # An op computes in its inputs' dtypes (tf.keras' TFOpLambda and Keras 3 operations
        # never cast them to a policy's compute dtype).
        kwargs["autocast"] = False
        super().__init__(**kwargs)
        self.symbol = symbol
        self.function = op
        # Arguments fixed when the layer was made (Keras 3 keeps an op's non-tensor arguments,
        # such as `axis`, in the op's config rather than in the call).
        self.arguments = dict(arguments or {})
        signature = dispatch.call_signature(op)
        self._config_call_signature = signature
        params = list(signature.parameters.values())
        self._var_positional = next((p.name for p in params if p.kind is p.VAR_POSITIONAL), None)
        # A fixed argument that comes first in the signature (einsum's `subscripts`) is
        # passed by position, ahead of the call's own arguments.
        self._leading_argument = params[0].name if params and params[0].name in self.arguments else None
        self.built = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if dispatch.contains_keras_tensor(args, kwargs):
            return self._symbolic_call(args, dict(kwargs))
        return torch.nn.Module.__call__(self, *args, **kwargs)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        args, kwargs = self.full_arguments(args, kwargs)
        return self.function(*args, **kwargs)

    def full_arguments(self, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        """One call's arguments with the layer's fixed ``arguments`` added, as the op takes them."""
        if self._var_positional is not None and self._var_positional in kwargs:
            kwargs = dict(kwargs)
            args = args + tuple(kwargs.pop(self._var_positional))
        if self.arguments:
            fixed = dict(self.arguments)
            if self._leading_argument is not None:
                args = (fixed.pop(self._leading_argument),) + args
            kwargs = {**fixed, **kwargs}
        return args, kwargs

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        # Ops that cannot run on meta tensors (``unique``: value-dependent length) give their specs.
        output_spec = getattr(self.function, "output_spec", None)
        if output_spec is not None:
            return output_spec(*args, **{**self.arguments, **kwargs})
        # Constant arrays join the KerasTensors on the meta device for shape inference.
        spec = self._meta_output_spec(
            tree.map_structure(_meta_constant, args), tree.map_structure(_meta_constant, kwargs)
        )
        rule = dispatch.output_dtype_rule(self.symbol)
        if rule is not None:
            full_args, full_kwargs = self.full_arguments(args, kwargs)
            spec.dtype = rule(*full_args, **full_kwargs)
        return spec

    def get_config(self) -> dict:
        config = {**super().get_config(), "function": self.symbol}
        if self.arguments:
            config["arguments"] = self.arguments
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: Any = None) -> TFOpLambda:
        return cls(**config)

    def extra_repr(self) -> str:
        return f"name={self.name!r}, function={self.symbol!r}"


class SlicingOpLambda(TFOpLambda):
    """``x[...]`` on a KerasTensor. Slices travel as ``{"start", "stop", "step"}`` dicts (and
    ``...`` as ``{"class_name": "__ellipsis__"}``) so the node's arguments are JSON, as in
    tf.keras; they become slices again when the layer runs."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if dispatch.contains_keras_tensor(args, kwargs):
            args = tuple(_encode_slices(a) for a in args)
            kwargs = {k: _encode_slices(v) for k, v in kwargs.items()}
            return self._symbolic_call(args, kwargs)
        return torch.nn.Module.__call__(self, *args, **kwargs)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        args = tuple(decode_slices(a) for a in args)
        kwargs = {k: decode_slices(v) for k, v in kwargs.items()}
        return super().call(*args, **kwargs)


_ELLIPSIS = {"class_name": "__ellipsis__"}


def _meta_constant(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    if isinstance(value, torch.Tensor) and value.device.type != "meta":
        return torch.empty_like(value, device="meta")
    return value


def _encode_slices(value: Any) -> Any:
    if isinstance(value, slice):
        return {"start": value.start, "stop": value.stop, "step": value.step}
    if value is Ellipsis:
        return dict(_ELLIPSIS)
    if isinstance(value, (list, tuple)):
        return type(value)(_encode_slices(v) for v in value)
    return value


def decode_slices(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get("class_name") == "__ellipsis__":
            return Ellipsis
        if value.get("class_name") == "__slice__":  # Keras 3's spelling
            value = value["config"]
        if set(value) == {"start", "stop", "step"}:
            return slice(value["start"], value["stop"], value["step"])
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(decode_slices(v) for v in value)
    return value
