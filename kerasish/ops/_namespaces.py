"""Keras' op namespaces (``keras.ops.numpy``, ``keras.ops.nn``, ``keras.ops.linalg``) as the
kerasish modules of the same names.

``kerasish.ops.numpy`` is also the module that implements the core numpy ops; the rarer ops
live in their own modules (``numpy_extra``, ``numpy_late``...), which import it. So the
namespace is completed here, after every module is loaded, by adding the missing names; a
name a module already defines is never replaced, and no name shadows a Python builtin there.
"""

from __future__ import annotations

import builtins
from types import ModuleType

from kerasish.ops import (
    adaptive_pooling,
    core,
    ctc,
    linalg,
    math,
    nn,
    nn_blocks,
    nn_extra,
    numpy,
    numpy_extra,
    numpy_late,
    numpy_more,
    signal,
    sliding_blocks,
    transforms,
)


def _public(module: ModuleType, names: tuple = ()) -> dict:
    chosen = names or [n for n in module.__dict__ if not n.startswith("_")]
    return {name: getattr(module, name) for name in chosen}


def _extend(namespace: ModuleType, members: dict) -> None:
    for name, value in members.items():
        if not hasattr(namespace, name) and not hasattr(builtins, name) and callable(value):
            setattr(namespace, name, value)


def _ops(module: ModuleType) -> dict:
    """The registered ``keras.ops`` functions a module holds."""
    return {n: v for n, v in _public(module).items() if str(getattr(v, "symbol", "")).startswith("keras.ops.")}


# Keras files erfc under math and saturate_cast under core, not numpy.
_NOT_NUMPY = ("erfc", "saturate_cast")
_numpy_ops = {**_ops(numpy_extra), **_ops(numpy_more), **_public(numpy_late, ("argpartition", "unique"))}
_extend(numpy, {n: v for n, v in _numpy_ops.items() if n not in _NOT_NUMPY})
_extend(numpy, _public(numpy_extra, ("array", "empty", "geomspace", "logspace", "tri")))
_extend(numpy, {"vectorize": transforms.vectorize, "slogdet": linalg.slogdet})
_extend(math, {"erfc": numpy_extra.erfc})
_extend(core, {"saturate_cast": numpy_more.saturate_cast})
_extend(nn, {**_ops(nn_extra), **_ops(nn_blocks), **_ops(adaptive_pooling), **_ops(ctc), **_ops(sliding_blocks)})
_extend(nn, {"polar": math.polar})
_extend(linalg, {"jvp": transforms.jvp})
_extend(math, {**_ops(signal), "cdist": numpy_late.cdist})
_extend(core, {"associative_scan": transforms.associative_scan, "custom_gradient": transforms.custom_gradient})
