"""``Model.quantize``: Keras 3's walk over a model's layers.

Every leaf layer (one without sublayers) that matches ``filters`` is asked to quantize itself;
a layer without a ``quantize`` method gets Keras' warning and is left as it is; errors other
than a missing implementation (a layer quantized already) propagate, as in Keras.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Callable, Iterator, Optional

from kerasish.quantizers import config as config_lib


def quantize_model(model: Any, mode: Optional[str], config: Any, filters: Any, kwargs: dict) -> None:
    config = config_lib.resolve(mode, config)
    mode = config.mode
    if not model.built:
        raise ValueError(
            "Cannot quantize a layer that isn't yet built. "
            f"Layer '{model.name}' (of type '{type(model).__name__}') is not built yet."
        )
    type_check = kwargs.pop("type_check", True)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments passed to {type(model).__name__}: {kwargs}")
    if filters is not None and not isinstance(filters, (str, Callable, list, tuple)):
        raise ValueError(
            "The `filters` argument must be a regex string, a list of regex strings, or a "
            f"callable. Received: {type(filters)}"
        )
    modified = False
    for layer in _flatten(model, set()):
        if _sublayers(layer) or not _matches(layer, filters):
            continue
        modified = True
        quantize = getattr(layer, "quantize", None)
        try:
            if quantize is None:
                _refuse_unquantizable(layer)
            quantize(mode, type_check=type_check, config=config)
        except NotImplementedError as err:
            warnings.warn(str(err), stacklevel=3)
    if modified:
        for key in ("_compiled_forward", "_compiled_forward_and_losses"):
            model.__dict__.pop(key, None)


def _sublayers(layer: Any) -> list:
    """A layer's direct sublayers; a model's include its InputLayers, as Keras' do."""
    from kerasish.models.model import Model

    if isinstance(layer, Model):
        return list(layer.layers)
    return layer._tracked_layers()


def _flatten(layer: Any, seen: set) -> Iterator[Any]:
    if id(layer) in seen:
        return
    seen.add(id(layer))
    yield layer
    for child in _sublayers(layer):
        yield from _flatten(child, seen)


def _refuse_unquantizable(layer: Any) -> None:
    """Keras' base ``Layer.quantize`` (without its built check: kerasish's internal sublayers,
    such as MultiHeadAttention's dropout, need not be built)."""
    raise NotImplementedError(
        f"Layer {type(layer).__name__} does not have a `quantize` method implemented."
    )


def _matches(layer: Any, filters: Any) -> bool:
    """Keras' ``should_quantize_layer``: a regex on the layer's name, a list of them, or a
    predicate."""
    if filters is None:
        return True
    if isinstance(filters, str):
        return bool(re.search(filters, layer.name))
    if isinstance(filters, (list, tuple)):
        return any(re.search(pattern, layer.name) for pattern in filters)
    if callable(filters):
        return filters(layer)
    return True
