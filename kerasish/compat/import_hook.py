"""Resolve ``keras``, ``tensorflow.keras`` and ``tf_keras`` imports to kerasish.

A ``sys.meta_path`` finder maps every module name under those prefixes (``keras.layers``,
``tensorflow.keras.models``, Keras 2 paths such as ``keras.layers.core`` or
``keras.engine.topology``) to an *alias module*: a thin module object registered under the
imported name whose attributes are looked up in the kerasish module(s) it stands for. kerasish's
own modules are never renamed or modified, so ``import kerasish`` and ``import keras`` coexist,
and ``uninstall()`` restores whatever was in ``sys.modules`` before.

Keras 2 grouped layers by file (``keras.layers.convolutional`` held ``Conv2D`` and
``ZeroPadding2D``...); those paths are aliases of all of ``kerasish.layers``, so every name
Keras 2 had there is found. ``tensorflow`` itself is ``tensorflow_stub``: ``tf.keras`` only.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings
from typing import Any, Optional, Sequence

from kerasish.compat.tensorflow_stub import TensorFlowStub, missing_feature_message

# Longest first: `tensorflow.python.keras` must win over `tensorflow`.
ALIAS_PREFIXES = ("tensorflow.python.keras", "tensorflow.keras", "tf_keras", "keras")
_LAYERS = ("kerasish.layers",)

# Keras 2 / tf.keras module paths (relative to the prefix) whose kerasish home differs.
KERAS2_PATHS: dict[str, tuple] = {
    **{
        f"layers.{group}": _LAYERS
        for group in (
            "core", "convolutional", "convolutional_recurrent", "pooling", "normalization",
            "normalization_v2", "embeddings", "merge", "merging", "advanced_activations",
            "noise", "wrappers", "recurrent", "recurrent_v2", "cudnn_recurrent", "local",
            "dense_attention", "serialization",
        )
    },
    "engine": ("kerasish.engine", "kerasish.layers", "kerasish.models"),
    "engine.topology": ("kerasish.layers", "kerasish.models"),
    "engine.network": ("kerasish.models",),
    "engine.saving": ("kerasish.saving", "kerasish.models"),
    "engine.input_spec": ("kerasish.layers.input_spec",),
    "utils.layer_utils": ("kerasish.utils",),
    "backend.tensorflow_backend": ("kerasish.backend",),
    "backend.common": ("kerasish.backend",),
    "optimizers.legacy": ("kerasish.optimizers",),
    "optimizers.optimizer_v2": ("kerasish.optimizers",),
    "optimizer_v2": ("kerasish.optimizers",),
    "mixed_precision.experimental": ("kerasish.mixed_precision",),
    "metrics.metrics": ("kerasish.metrics",),
    "losses.losses": ("kerasish.losses",),
}
# TensorFlow packages that exist only to reach a Keras alias below them.
_TENSORFLOW_PACKAGES = ("tensorflow", "tensorflow.python")
# Keras 2 names that kerasish spells differently.
RENAMED = {"Network": ("kerasish.models.functional", "Functional")}


def alias_parts(fullname: str) -> Optional[tuple[str, str]]:
    """``(prefix, relative path)`` of an alias name, or None for any other module."""
    for prefix in ALIAS_PREFIXES:
        if fullname == prefix:
            return prefix, ""
        if fullname.startswith(prefix + "."):
            return prefix, fullname[len(prefix) + 1 :]
    return None


def targets_of(relative: str) -> Optional[tuple]:
    """The kerasish module names an alias stands for, or None when kerasish has no such
    module."""
    if relative in KERAS2_PATHS:
        return KERAS2_PATHS[relative]
    target = "kerasish" + (f".{relative}" if relative else "")
    try:
        found = importlib.util.find_spec(target)
    except (ImportError, ValueError):
        found = None
    return (target,) if found is not None else None


class AliasModule(types.ModuleType):
    """A module named as the script imported it; attributes come from ``targets``.

    Submodules (``keras.layers`` of ``keras``) are returned as alias modules too, so
    attribute access and imports agree. A resolved attribute is cached on the alias.
    """

    def __init__(self, name: str, targets: Sequence[str]) -> None:
        super().__init__(name)
        self.__path__: list = []
        self.__kerasish_targets__ = tuple(targets)
        first = importlib.import_module(targets[0])
        self.__doc__ = first.__doc__
        self.__file__ = getattr(first, "__file__", None)

    def _modules(self) -> list:
        return [importlib.import_module(t) for t in self.__kerasish_targets__]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__") and name not in ("__all__", "__version__"):
            raise AttributeError(f"module '{self.__name__}' has no attribute '{name}'")
        value = self._lookup(name)
        setattr(self, name, value)
        return value

    def _lookup(self, name: str) -> Any:
        _, relative = alias_parts(self.__name__)
        child = f"{relative}.{name}" if relative else name
        if child in KERAS2_PATHS:
            return importlib.import_module(f"{self.__name__}.{name}")
        if name == "__all__":
            return sorted({n for m in self._modules() for n in _public_names(m)})
        for module in self._modules():
            if hasattr(module, name):
                value = getattr(module, name)
                if isinstance(value, types.ModuleType) and value.__name__.startswith("kerasish."):
                    return importlib.import_module(f"{self.__name__}.{name}")
                return value
        if name in RENAMED:
            module_name, attr = RENAMED[name]
            return getattr(importlib.import_module(module_name), attr)
        if targets_of(child) is not None:
            return importlib.import_module(f"{self.__name__}.{name}")
        raise AttributeError(
            f"module '{self.__name__}' has no attribute '{name}' (kerasish stands in for "
            f"{self.__name__.split('.')[0]} and does not provide it)"
        )

    def __dir__(self) -> list:
        return sorted({n for m in self._modules() for n in dir(m)})


def _public_names(module: types.ModuleType) -> list:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    return list(names)


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, targets: Optional[tuple], missing: Optional[str] = None) -> None:
        self.targets = targets
        self.missing = missing

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        if self.missing is not None:
            raise ModuleNotFoundError(self.missing)
        if spec.name in _TENSORFLOW_PACKAGES:
            return TensorFlowStub(spec.name)
        return AliasModule(spec.name, self.targets)

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: an alias reads its targets lazily."""


class KerasAliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        parts = alias_parts(fullname)
        if parts is None:
            if fullname in _TENSORFLOW_PACKAGES:
                return _spec(fullname, _AliasLoader(None))
            if fullname.startswith("tensorflow."):
                feature = fullname[len("tensorflow.") :]
                return _spec(fullname, _AliasLoader(None, missing_feature_message(feature)))
            return None
        prefix, relative = parts
        targets = targets_of(relative)
        if targets is None:
            return _spec(
                fullname,
                _AliasLoader(
                    None,
                    f"No module named '{fullname}': kerasish stands in for {prefix} and does not "
                    f"provide '{fullname}'.",
                ),
            )
        return _spec(fullname, _AliasLoader(targets))


def _spec(name: str, loader: _AliasLoader) -> importlib.machinery.ModuleSpec:
    return importlib.machinery.ModuleSpec(name, loader, is_package=True)


_FINDER = KerasAliasFinder()
_SAVED: dict[str, types.ModuleType] = {}


def _is_aliased(name: str) -> bool:
    return (
        alias_parts(name) is not None or name == "tensorflow" or name.startswith("tensorflow.")
    )


def install_as_keras() -> None:
    """From now on, ``import keras`` (and ``tensorflow.keras``, ``tf_keras``, Keras 2 module
    paths) gives kerasish, and ``import tensorflow`` gives a stub that provides ``tf.keras``
    only. Modules of those names imported earlier are set aside (references to them stay
    valid) and come back with ``uninstall()``."""
    if _FINDER in sys.meta_path:
        return
    previous = [name for name in sys.modules if _is_aliased(name)]
    if previous:
        warnings.warn(
            f"install_as_keras(): {sorted(previous)[0]!r} and {len(previous) - 1} other modules "
            "were already imported; names bound to them before this call keep the original "
            "modules.",
            stacklevel=2,
        )
    for name in previous:
        _SAVED[name] = sys.modules.pop(name)
    sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    """Undo ``install_as_keras``: drop the aliases and restore the modules set aside."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n in sys.modules if _is_aliased(n)]:
        del sys.modules[name]
    sys.modules.update(_SAVED)
    _SAVED.clear()


def is_installed() -> bool:
    return _FINDER in sys.meta_path
