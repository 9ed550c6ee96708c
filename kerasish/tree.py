"""``keras.tree``: Keras 3's public functions on nested structures.

Keras 3 on its torch backend implements ``keras.tree`` on torch's own pytree
(``torch.utils._pytree``), so kerasish does the same: what counts as a node (lists, tuples,
namedtuples, dicts, ``OrderedDict``, ``defaultdict``, ``deque``, anything registered with torch),
how ``None`` is treated and the mismatch errors all come from the one torch both libraries share.
Plain dicts and ``defaultdict``s are walked in sorted-key order, as every Keras tree backend does
(with Keras-on-torch's one exception, see ``_sorted_dicts``).

``kerasish.utils.tree`` is the package's internal walker (lists, tuples, dicts only), kept apart
because layers import it while kerasish is loading.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

from torch.utils import _pytree as torch_tree

__all__ = [
    "MAP_TO_NONE",
    "assert_same_paths",
    "assert_same_structure",
    "flatten",
    "flatten_with_path",
    "is_nested",
    "lists_to_tuples",
    "map_shape_structure",
    "map_structure",
    "map_structure_up_to",
    "pack_sequence_as",
    "traverse",
]


class MAP_TO_NONE:  # noqa: N801 - Keras' public name
    """Returned by a ``traverse`` function to put ``None`` in the result (``None`` itself means
    "not handled here, go into the children")."""


def _is_leaf(structure: Any) -> bool:
    return torch_tree._get_node_type(structure) not in torch_tree.SUPPORTED_NODES


def _children(structure: Any) -> tuple[list, Any]:
    """The direct children of one node and the spec to rebuild it, or ``None`` for a leaf."""
    outer = id(structure)
    children, spec = torch_tree.tree_flatten(structure, is_leaf=lambda x: id(x) != outer)
    if spec.num_nodes == 1 and spec.num_leaves == 1:
        return children, None
    return children, spec


def _sorted_dicts(structure: Any) -> Any:
    """The structure with plain dicts and defaultdicts re-created in sorted-key order (torch
    walks dicts in insertion order).

    As in Keras 3.15 on torch, a dict's values are not walked: a dict nested inside a dict keeps
    its insertion order in ``flatten``/``pack_sequence_as`` (``traverse`` sorts every level,
    since it re-sorts each sub-structure it visits).
    """
    if type(structure) is dict:
        return {key: structure[key] for key in sorted(structure)}
    if type(structure) is defaultdict:
        return defaultdict(structure.default_factory, {key: structure[key] for key in sorted(structure)})
    children, spec = _children(structure)
    if spec is None:
        return structure
    return torch_tree.tree_unflatten([_sorted_dicts(child) for child in children], spec)


def is_nested(structure: Any) -> bool:
    """Whether ``structure`` is a node (a list, tuple, dict...) rather than a leaf."""
    return not _is_leaf(structure)


def flatten(structure: Any) -> list:
    leaves, _ = torch_tree.tree_flatten(_sorted_dicts(structure))
    return leaves


def flatten_with_path(structure: Any) -> list[tuple[tuple, Any]]:
    """``(path, leaf)`` pairs; a path holds list indices, dict keys, and for attribute nodes
    the field's rank among all field names, as Keras reports them."""
    pairs, _ = torch_tree.tree_flatten_with_path(_sorted_dicts(structure))
    fields = sorted(
        {key.name for path, _ in pairs for key in path if isinstance(key, torch_tree.GetAttrKey)}
    )
    rank = {name: i for i, name in enumerate(fields)}
    results = []
    for path, leaf in pairs:
        keys = []
        for key in path:
            if isinstance(key, torch_tree.SequenceKey):
                keys.append(key.idx)
            elif isinstance(key, torch_tree.MappingKey):
                keys.append(key.key)
            elif isinstance(key, torch_tree.GetAttrKey):
                keys.append(rank[key.name])
        results.append((tuple(keys), leaf))
    return results


def map_structure(func: Callable, *structures: Any, none_is_leaf: bool = True) -> Any:
    """``func`` applied leaf-wise across structures of the same shape.

    ``none_is_leaf=False`` keeps ``None`` entries of the first structure as ``None`` (the others
    must be ``None`` there too) instead of passing them to ``func``.
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    mapped = func
    if not none_is_leaf:

        def mapped(*args: Any) -> Any:
            if args[0] is None:
                if not all(arg is None for arg in args):
                    raise ValueError(
                        "Structure mismatch: some arguments are None, others are not. "
                        f"Received arguments: {args}."
                    )
                return None
            return func(*args)

    return torch_tree.tree_map(mapped, *structures)


def map_structure_up_to(shallow_structure: Any, func: Callable, *structures: Any) -> Any:
    """``func`` applied to the sub-structures of ``structures`` found at the leaves of
    ``shallow_structure``."""
    if not structures:
        raise ValueError("Must provide at least one structure")

    def at_shallow_leaf(shallow: Any, *args: Any) -> Any:
        if not _is_leaf(shallow):
            raise ValueError("Structures don't have the same nested structure.")
        return func(*args)

    return torch_tree.tree_map(at_shallow_leaf, shallow_structure, *structures)


def assert_same_structure(a: Any, b: Any, check_types: Any = None) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` nest the same node types the same way
    (dict kinds are interchangeable; list, tuple, namedtuple and deque are not).
    ``check_types`` is accepted and ignored, as in Keras 3 (with its deprecation warning)."""
    if check_types is not None:
        import warnings

        if check_types:
            message = "The `check_types` argument is deprecated and no longer has any effect, please remove."
        else:
            message = (
                "The `check_types` argument is deprecated and no longer has any effect. For a "
                "looser check, use `keras.tree.assert_same_paths()`, which considers `list`, "
                "`tuple`, `namedtuple` and `deque` as matching"
            )
        warnings.warn(message, DeprecationWarning, stacklevel=2)

    def check(a_leaf: Any, b_leaf: Any) -> None:
        if not _is_leaf(a_leaf) or not _is_leaf(b_leaf):
            raise ValueError("Structures don't have the same nested structure.")

    torch_tree.tree_map(check, a, b)


def assert_same_paths(a: Any, b: Any) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same leaf paths (any sequence kinds)."""
    a_paths = {path for path, _ in flatten_with_path(a)}
    b_paths = {path for path, _ in flatten_with_path(b)}
    if a_paths != b_paths:
        message = "`a` and `b` don't have the same paths."
        if a_paths - b_paths:
            message += f"\nPaths in `a` missing in `b`:\n{a_paths - b_paths}"
        if b_paths - a_paths:
            message += f"\nPaths in `b` missing in `a`:\n{b_paths - a_paths}"
        raise ValueError(message)


def pack_sequence_as(structure: Any, flat_sequence: Any) -> Any:
    """``structure`` rebuilt with ``flat_sequence``'s values, in ``flatten``'s order (plain
    dicts come back in sorted-key order, as in Keras 3 on torch)."""
    _, spec = torch_tree.tree_flatten(_sorted_dicts(structure))
    return torch_tree.tree_unflatten(flat_sequence, spec)


def traverse(func: Callable, structure: Any, top_down: bool = True) -> Any:
    """Apply ``func`` to every node and leaf. Top-down, a non-``None`` result replaces the
    sub-structure without visiting it; bottom-up, ``func`` sees already-traversed children.
    ``MAP_TO_NONE`` puts ``None`` in the result."""

    def visit_children(node: Any) -> Any:
        children, spec = _children(node)
        if spec is None:
            return node
        return torch_tree.tree_unflatten(
            [traverse(func, child, top_down=top_down) for child in children], spec
        )

    structure = _sorted_dicts(structure)
    if top_down:
        result = func(structure)
        if result is None:
            return visit_children(structure)
    else:
        visited = visit_children(structure)
        result = func(visited)
        if result is None:
            return visited
    return None if _is_map_to_none(result) else result


def _is_map_to_none(value: Any) -> bool:
    # By name, so that Keras' own MAP_TO_NONE works here too, as Keras' tree code accepts it.
    return isinstance(value, type) and value.__name__ == "MAP_TO_NONE"


def lists_to_tuples(structure: Any) -> Any:
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure, top_down=False)


def map_shape_structure(func: Callable, structure: Any) -> Any:
    """``func`` applied to every shape (a list or tuple of ints and ``None``) in ``structure``."""

    def is_shape(x: Any) -> bool:
        return isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None))) for e in x)

    return torch_tree.tree_map(func, _sorted_dicts(structure), is_leaf=is_shape)
