"""Nested structures (lists, tuples, dicts) of tensors, flattened and rebuilt.

Keras lets inputs and outputs be any nesting of lists, tuples and dicts; this module is the one
place that walks them. Dicts are walked in sorted-key order, as ``tf.nest`` and Keras 3 do, so a
dict of inputs flattens the same way everywhere.
"""

from __future__ import annotations

from typing import Any, Callable


def is_nested(x: Any) -> bool:
    return isinstance(x, (list, tuple, dict))


def flatten(structure: Any) -> list:
    out: list = []
    _flatten_into(structure, out)
    return out


def _flatten_into(x: Any, out: list) -> None:
    if isinstance(x, dict):
        for key in sorted(x):
            _flatten_into(x[key], out)
    elif isinstance(x, (list, tuple)):
        for item in x:
            _flatten_into(item, out)
    else:
        out.append(x)


def map_structure(fn: Callable[[Any], Any], structure: Any) -> Any:
    if isinstance(structure, dict):
        return {key: map_structure(fn, structure[key]) for key in structure}
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*(map_structure(fn, item) for item in structure))
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(fn, item) for item in structure)
    return fn(structure)


def pack_sequence_as(structure: Any, flat: list) -> Any:
    """Rebuild ``structure`` with the leaves taken in order from ``flat``."""
    leaves = iter(flat)
    packed = _pack(structure, leaves)
    if next(leaves, _END) is not _END:
        raise ValueError("pack_sequence_as: more values than leaves in the structure")
    return packed


_END = object()


def _pack(structure: Any, leaves) -> Any:
    if isinstance(structure, dict):
        values = {key: _pack(structure[key], leaves) for key in sorted(structure)}
        return {key: values[key] for key in structure}
    if isinstance(structure, (list, tuple)):
        items = [_pack(item, leaves) for item in structure]
        if isinstance(structure, tuple) and hasattr(structure, "_fields"):
            return type(structure)(*items)
        return type(structure)(items)
    value = next(leaves, _END)
    if value is _END:
        raise ValueError("pack_sequence_as: fewer values than leaves in the structure")
    return value


def leaf_paths(structure: Any, prefix: tuple = ()) -> list:
    """The index path of every leaf, in ``flatten`` order: ``[(0,), (1, 'a'), ...]``."""
    if isinstance(structure, dict):
        paths = []
        for key in sorted(structure):
            paths.extend(leaf_paths(structure[key], prefix + (key,)))
        return paths
    if isinstance(structure, (list, tuple)):
        paths = []
        for i, item in enumerate(structure):
            paths.extend(leaf_paths(item, prefix + (i,)))
        return paths
    return [prefix]
