"""Keras 1's ``Merge`` layer and ``merge()`` function, in old scripts and in old files.

Keras 1 (and Keras 2.0-2.1.6, as ``keras.legacy.layers``, with a deprecation warning; Keras
2.2.0 removed it) merged tensors with one layer class and a ``mode`` string. kerasish maps each
mode onto its Keras 2 merge layer, so a merged model is an ordinary graph and saves in tf.keras'
schema: ``sum`` -> ``Add``, ``mul`` -> ``Multiply``, ``ave`` -> ``Average``, ``max`` ->
``Maximum``, ``concat`` -> ``Concatenate(concat_axis)``, ``dot`` -> ``Dot(dot_axes)``, ``cos``
-> ``Dot(dot_axes, normalize=True)``; a Python callable mode (scripts only) -> ``Lambda``.

``Merge([branch_a, branch_b], mode=...)`` is connected when it is made (to each branch's output
at ``node_indices``/``tensor_indices``), as in Keras 1. Added first to a ``Sequential`` it makes
a :class:`MergedSequential`: a Sequential with one input per branch, whose weights files list
the branches' layers first (Keras 1's ``flattened_layers``), then the layers after the merge.
Keras 1 model configs name the class ``Merge``; ``Merge.from_config`` reads them (in a
Sequential config, the branches' configs sit under the merge's ``layers`` key).
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Optional, Sequence, Union

from kerasish.layers.base import Layer
from kerasish.legacy.interfaces import Keras2APIWarning

MODES = ("sum", "mul", "concat", "ave", "cos", "dot", "max")


def _deprecated(what: str) -> None:
    # Keras 2.0-2.1.6's words; Keras 1 itself did not warn.
    warnings.warn(
        f"The {what} is deprecated and will be removed after 08/2017. Use instead layers from "
        "`keras.layers.merge`, e.g. `add`, `concatenate`, etc.",
        Keras2APIWarning,
        stacklevel=3,
    )


# ------------------------------------------------------------------ validation


def _shape_of(tensor: Any) -> tuple:
    return tuple(tensor.shape)


def validate(mode: Any, shapes: Sequence[tuple], concat_axis: int, dot_axes: Any) -> Any:
    """Keras 1's ``Merge._arguments_validation`` on the inputs' shapes (batch axis included).

    Returns ``dot_axes`` as Keras 1 stored it after validation: a pair for ``dot``/``cos``.
    """
    if not callable(mode) and mode not in MODES:
        raise ValueError("Invalid merge mode: " + str(mode))
    if len(shapes) < 2:
        raise TypeError(
            "A Merge should only be applied to a list of layers with at least 2 elements. "
            f"Found: {len(shapes)} input(s) of shapes {list(shapes)}"
        )
    if callable(mode):
        return dot_axes
    if mode in ("sum", "mul", "ave", "cos", "max") and len(set(shapes)) > 1:
        raise ValueError(
            f"Only layers of same output shape can be merged using {mode} mode. "
            f"Layer shapes: {list(shapes)}"
        )
    if mode in ("cos", "dot"):
        if len(shapes) > 2:
            raise ValueError(f"{mode} merge takes exactly 2 layers")
        shape1, shape2 = shapes
        if isinstance(dot_axes, int):
            dot_axes = [dot_axes % len(shape1), dot_axes % len(shape2)] if dot_axes < 0 else [dot_axes] * 2
        if not isinstance(dot_axes, (list, tuple)):
            raise TypeError("Invalid type for dot_axes - should be a list.")
        if len(dot_axes) != 2:
            raise ValueError("Invalid format for dot_axes - should contain two elements.")
        if not all(isinstance(axis, int) for axis in dot_axes):
            raise ValueError('Invalid format for dot_axes - list elements should be "int".')
        _check_dot_ranks(mode, shape1, shape2)
        if shape1[dot_axes[0]] != shape2[dot_axes[1]]:
            raise ValueError(
                f"Dimension incompatibility using dot mode: {shape1[dot_axes[0]]} != "
                f"{shape2[dot_axes[1]]}. Layer shapes: {shape1}, {shape2}"
            )
        return list(dot_axes)
    if mode == "concat":
        reduced = set()
        for shape in shapes:
            rest = list(shape)
            del rest[concat_axis]
            reduced.add(tuple(rest))
        if len(reduced) > 1:
            raise ValueError(
                '"concat" mode can only merge layers with matching output shapes except for the '
                f"concat axis. Layer shapes: {list(shapes)}"
            )
    return dot_axes


def _check_dot_ranks(mode: str, shape1: tuple, shape2: tuple) -> None:
    """Keras 1's ``batch_dot`` is Keras 2's only for two rank-2 or two rank-3 inputs, and its
    ``cos`` is a cosine only for rank 2 (higher ranks multiplied Gram matrices elementwise)."""
    ranks = (len(shape1), len(shape2))
    if mode == "cos" and ranks != (2, 2):
        raise NotImplementedError(
            f"Keras 1 `Merge(mode='cos')` on inputs of shapes {shape1} and {shape2}: only "
            "rank-2 inputs (batch, features) are supported (Keras 1's formula is not a cosine "
            "for higher ranks)."
        )
    if ranks not in ((2, 2), (3, 3)):
        raise NotImplementedError(
            f"Keras 1 `Merge(mode='dot')` on inputs of shapes {shape1} and {shape2}: only two "
            "rank-2 or two rank-3 inputs are supported."
        )


# ------------------------------------------------------------------ the layers


def merging_layer(
    mode: Any,
    concat_axis: int = -1,
    dot_axes: Any = -1,
    output_shape: Any = None,
    arguments: Optional[dict] = None,
    name: Optional[str] = None,
) -> Layer:
    """The kerasish layer computing Keras 1's ``mode``."""
    from kerasish import backend, layers

    kwargs = {"name": name or f"merge_{backend.get_uid('merge')}"}
    if callable(mode):
        extra = dict(arguments or {})
        layer = layers.Lambda(lambda inputs: mode(list(inputs), **extra), output_shape=output_shape, **kwargs)
    elif mode == "concat":
        layer = layers.Concatenate(axis=concat_axis, **kwargs)
    elif mode in ("dot", "cos"):
        if not isinstance(dot_axes, (int, list, tuple)):
            raise TypeError("Invalid type for dot_axes - should be a list.")
        layer = layers.Dot(axes=dot_axes, normalize=mode == "cos", **kwargs)
    elif mode in _ELEMENTWISE:
        layer = getattr(layers, _ELEMENTWISE[mode])(**kwargs)
    else:
        raise ValueError("Invalid merge mode: " + str(mode))
    layer._keras1_merge_mode = mode
    return layer


_ELEMENTWISE = {"sum": "Add", "mul": "Multiply", "ave": "Average", "max": "Maximum"}


def _check_options(mode: Any, output_shape: Any, output_mask: Any) -> None:
    if output_mask is not None:
        raise NotImplementedError(
            "Keras 1 `Merge(output_mask=...)` is not supported: the merged layers compute "
            "their masks themselves."
        )
    if not callable(mode) and output_shape is not None:
        raise ValueError(
            f"`output_shape` is only used with a callable merge `mode`; mode '{mode}' computes "
            f"its own. Received: output_shape={output_shape}"
        )
    if callable(mode) and "mask" in _parameters(mode):
        raise NotImplementedError(
            "Keras 1 `Merge` with a callable `mode` that takes `mask` is not supported."
        )


def _parameters(function: Callable) -> set:
    import inspect

    try:
        return set(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return set()


def _apply(layer: Layer, inputs: list, mode: Any, concat_axis: int, dot_axes: Any) -> Any:
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(
            "Merge can only be called on a list of tensors, not a single tensor. "
            f"Received: {inputs!r}"
        )
    axes = validate(mode, [_shape_of(x) for x in inputs], concat_axis, dot_axes)
    if mode in ("dot", "cos"):
        layer.axes = axes
    return layer(list(inputs))


class _MergeType(type):
    def __instancecheck__(cls, instance: Any) -> bool:
        return getattr(instance, "_keras1_merge_mode", None) is not None


class Merge(metaclass=_MergeType):
    """Keras 1's ``Merge``: makes the kerasish merge layer for ``mode`` (see the module doc).

    With ``layers`` (the branch models or layers) the layer is called on their outputs right
    away, as Keras 1 did; without, it is returned unconnected, to be called on a list of
    tensors. Objects it returns pass ``isinstance(x, Merge)``.
    """

    def __new__(
        cls,
        layers: Optional[Sequence[Any]] = None,
        mode: Union[str, Callable] = "sum",
        concat_axis: int = -1,
        dot_axes: Any = -1,
        output_shape: Any = None,
        output_mask: Any = None,
        arguments: Optional[dict] = None,
        node_indices: Optional[Sequence[int]] = None,
        tensor_indices: Optional[Sequence[int]] = None,
        name: Optional[str] = None,
    ) -> Layer:
        _deprecated("`Merge` layer")
        return make(layers, mode, concat_axis, dot_axes, output_shape, output_mask, arguments,
                    node_indices, tensor_indices, name)

    @classmethod
    def from_config(cls, config: dict, custom_objects: Optional[dict] = None) -> Layer:
        """A Keras 1 config: string modes only (``mode_type`` "raw")."""
        from kerasish.saving.model_config import deserialize_layer

        config = dict(config)
        name = config.get("name")
        for key in ("mode", "output_shape", "output_mask"):
            kind = config.get(f"{key}_type", "raw")
            if kind != "raw":
                raise NotImplementedError(
                    f"Keras 1 `Merge` layer '{name}' has a Python {kind} as `{key}` (stored as "
                    f"{'marshalled bytecode' if kind == 'lambda' else 'a function name'}); "
                    "loading callable Merge modes from configs is not supported."
                )
        branches = [deserialize_layer(branch, custom_objects) for branch in config.get("layers") or []]
        return make(
            branches or None,
            config.get("mode", "sum"),
            config.get("concat_axis", -1),
            config.get("dot_axes", -1),
            config.get("output_shape"),
            config.get("output_mask"),
            config.get("arguments") or None,
            config.get("node_indices"),
            config.get("tensor_indices"),
            name,
        )


def make(
    layers: Optional[Sequence[Any]],
    mode: Any,
    concat_axis: int,
    dot_axes: Any,
    output_shape: Any,
    output_mask: Any,
    arguments: Optional[dict],
    node_indices: Optional[Sequence[int]],
    tensor_indices: Optional[Sequence[int]],
    name: Optional[str],
) -> Layer:
    if not callable(mode) and mode not in MODES:
        raise ValueError("Invalid merge mode: " + str(mode))
    _check_options(mode, output_shape, output_mask)
    layer = merging_layer(mode, concat_axis, dot_axes, output_shape, arguments, name)
    if not layers:
        return layer
    if not isinstance(layers, (list, tuple)) or len(layers) < 2:
        raise TypeError(
            f"A Merge should only be applied to a list of layers with at least 2 elements. Found: {layers}"
        )
    node_indices = list(node_indices or [0] * len(layers))
    tensor_indices = list(tensor_indices or [0] * len(layers))
    inputs = [_branch_output(branch, n, t) for branch, n, t in zip(layers, node_indices, tensor_indices)]
    _apply(layer, inputs, mode, concat_axis, dot_axes)
    layer._keras1_merge_branches = list(layers)
    layer._keras1_connected = True
    return layer


def _branch_output(branch: Any, node_index: int, tensor_index: int) -> Any:
    from kerasish.utils import tree

    if not isinstance(branch, Layer):
        raise TypeError(f"Merge: each entry of `layers` must be a layer or model. Received: {branch!r}")
    try:
        outputs = branch.get_output_at(node_index)
    except (RuntimeError, ValueError, IndexError, AttributeError) as err:
        raise ValueError(
            f"Merge: layer '{branch.name}' has no output at node {node_index} to merge ({err}). "
            "Give the branch an input shape (e.g. `input_dim=`) before merging it."
        ) from err
    return tree.flatten(outputs)[tensor_index]


def merge(
    inputs: Sequence[Any],
    mode: Union[str, Callable] = "sum",
    concat_axis: int = -1,
    dot_axes: Any = -1,
    output_shape: Any = None,
    output_mask: Any = None,
    arguments: Optional[dict] = None,
    name: Optional[str] = None,
) -> Any:
    """Keras 1's functional ``merge``: ``merge([a, b], mode="concat")`` on tensors."""
    _deprecated("`merge` function")
    if not callable(mode) and mode not in MODES:
        raise ValueError("Invalid merge mode: " + str(mode))
    _check_options(mode, output_shape, output_mask)
    layer = merging_layer(mode, concat_axis, dot_axes, output_shape, arguments, name)
    return _apply(layer, inputs, mode, concat_axis, dot_axes)


def start_merged_sequential(model: Any, merge_layer: Layer) -> None:
    """``Sequential.add`` of a connected Keras 1 ``Merge`` as the first layer."""
    from kerasish.legacy.merged_sequential import MergedSequential

    model.__class__ = MergedSequential
    model._stack.append(merge_layer)
    model._rebuild()
