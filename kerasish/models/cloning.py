"""``keras.models.clone_model``: the same architecture with new layers and fresh weights.

A Sequential model is cloned layer by layer; a functional model is re-run node by node on new
inputs (``Functional._execution_order``), each layer replaced by its clone, so shared layers stay
shared (one clone per original, cached by identity) and nested models are cloned whole (by
``from_config``) or, with ``recursive=True``, graph by graph. Any other model (subclassed, or a
plain layer) goes through its Keras 3 config: ``serialize_keras_object`` and back. The arguments,
the errors and the single-list ``input_tensors`` of tf.keras (positional, ``[tensor]``) are
Keras 3's and tf.keras 2's.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Optional

from kerasish.graph.keras_tensor import KerasTensor
from kerasish.layers.base import Layer
from kerasish.layers.input_layer import Input, InputLayer
from kerasish.models.functional import Functional
from kerasish.models.sequential import Sequential
from kerasish.utils import tree

__all__ = ["clone_model"]


def clone_model(
    model: Any,
    input_tensors: Any = None,
    clone_function: Optional[Callable[[Layer], Layer]] = None,
    call_function: Optional[Callable[..., Any]] = None,
    recursive: bool = False,
    **kwargs: Any,
) -> Any:
    """A copy of ``model`` with newly created layers (fresh weights, not copied).

    ``clone_function(layer)`` makes each layer's replacement (default: the layer's class
    ``from_config(layer.get_config())``; ``lambda layer: layer`` reuses the layers);
    ``call_function(layer, *args, **kwargs)`` calls it (functional models only);
    ``recursive=True`` clones nested Sequential/functional models graph by graph with the same
    functions instead of passing them to ``clone_function``. A compiled model's clone is
    compiled with the same arguments and a new optimizer.
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {tuple(kwargs.keys())}")

    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "`call_function` argument is not supported with Sequential models.  In a "
                "Sequential model, layers aren't called at model-construction time (they're "
                "merely listed). Use `call_function` with Functional models only. Received model "
                f"of type '{type(model).__name__}', with call_function={call_function}"
            )
        clone = _caching(clone_function, None, recursive, cache)
        return _clone_sequential(model, clone, input_tensors)
    if isinstance(model, Functional):
        clone = _caching(clone_function, call_function, recursive, cache)
        return _clone_functional(model, clone, input_tensors, call_function)

    if clone_function is not None or input_tensors is not None:
        raise ValueError(
            "Arguments `clone_function` and `input_tensors` are only supported for Sequential "
            "models or Functional models. Received model of type "
            f"'{type(model).__name__}', with clone_function={clone_function} and "
            f"input_tensors={input_tensors}"
        )
    if call_function is not None:
        raise ValueError(
            "Argument `call_function` is only supported for Functional models. Received model "
            f"of type '{type(model).__name__}', with call_function={call_function}"
        )
    from kerasish.saving.serialization import deserialize_keras_object, serialize_keras_object

    config = serialize_keras_object(model)
    return deserialize_keras_object(config, custom_objects={type(model).__name__: type(model)})


def _from_config(layer: Layer) -> Layer:
    return layer.__class__.from_config(layer.get_config())


def _caching(
    clone_function: Optional[Callable],
    call_function: Optional[Callable],
    recursive: bool,
    cache: Optional[dict],
) -> Callable[[Layer], Layer]:
    """``clone_function`` made to return one clone per original layer (so shared layers stay
    shared), and to recurse into nested models when asked."""
    clone_function = clone_function or _from_config
    cache = {} if cache is None else cache

    def clone(layer: Layer) -> Layer:
        if id(layer) in cache:
            return cache[id(layer)]
        if recursive and isinstance(layer, Sequential):
            copy = clone_model(layer, clone_function=clone_function, recursive=True, cache=cache)
        elif recursive and isinstance(layer, Functional):
            copy = clone_model(
                layer,
                clone_function=clone_function,
                call_function=call_function,
                recursive=True,
                cache=cache,
            )
        else:
            copy = clone_function(layer)
        cache[id(layer)] = copy
        return copy

    return clone


def _clone_sequential(model: Sequential, clone: Callable, input_tensors: Any) -> Sequential:
    new_layers: list = [clone(layer) for layer in model.layers]
    reference = model._input_layer
    name = reference.name if reference is not None else None
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError("Argument `input_tensors` must contain a single tensor.")
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor):
            raise ValueError(
                "Argument `input_tensors` must be a KerasTensor. Received invalid value: "
                f"input_tensors={input_tensors}"
            )
        new_layers.insert(0, Input(tensor=input_tensors, name=name))
    elif reference is not None:
        new_layers.insert(
            0, Input(batch_shape=reference.batch_shape, dtype=reference._dtype, name=name)
        )
    cloned = Sequential(new_layers, name=model.name, trainable=model.trainable)
    _copy_compile(model, cloned)
    return cloned


def _clone_functional(
    model: Functional, clone: Callable, input_tensors: Any, call_function: Optional[Callable]
) -> Functional:
    if input_tensors is None:
        input_tensors = tree.map_structure(
            lambda x: Input(
                batch_shape=x.shape, dtype=x.dtype, name=x._keras_history.layer.name
            ),
            model.input,
        )
    else:
        input_tensors = _checked_inputs(model, input_tensors)

    new_tensors = {id(old): new for old, new in zip(model.inputs, tree.flatten(input_tensors))}
    for node in model._execution_order:
        if any(id(x) not in new_tensors for *_, x in node.iterate_inbound()):
            continue  # not computable from the inputs: Keras skips it too
        layer = clone(node.layer)
        kwargs = dict(node.call_kwargs)
        if getattr(node, "mask_from_framework", False):
            kwargs.pop("mask", None)  # the new call adds the masks of its own inputs
        args, kwargs = tree.map_structure(
            lambda x: new_tensors[id(x)] if isinstance(x, KerasTensor) else x,
            (list(node.call_args), kwargs),
        )
        if call_function is not None:
            outputs = call_function(layer, *args, **kwargs)
        else:
            outputs = layer(*args, **kwargs)
        for old, new in zip(node.flat_outputs, tree.flatten(outputs)):
            new_tensors[id(old)] = new
            if getattr(old, "_keras_mask", None) is not None:  # a mask passed on by hand
                new_tensors[id(old._keras_mask)] = getattr(new, "_keras_mask", None)

    output_tensors = []
    for index, x in enumerate(model.outputs):
        if id(x) not in new_tensors:
            raise ValueError(f"Output with path `{index}` is not connected to `inputs`")
        output_tensors.append(new_tensors[id(x)])
    outputs = tree.pack_sequence_as(model.output, output_tensors)

    cls = type(model) if _functional_like(type(model)) else Functional
    cloned = cls(input_tensors, outputs, name=model.name)
    _copy_compile(model, cloned)
    return cloned


def _checked_inputs(model: Functional, input_tensors: Any) -> Any:
    """``input_tensors`` in ``model.input``'s structure, each the output of an Input.

    A one-element list stands for a single input (tf.keras' ``input_tensors=[x]``); a
    KerasTensor that is some layer's output is replaced by a new Input of its shape and dtype,
    as Keras 3's functional constructor does.
    """
    if (
        isinstance(input_tensors, (list, tuple))
        and len(input_tensors) == 1
        and isinstance(model.input, KerasTensor)
    ):
        input_tensors = input_tensors[0]
    if not all(isinstance(x, KerasTensor) for x in tree.flatten(input_tensors)):
        raise ValueError(
            "All entries in `input_tensors` must be KerasTensors. Received invalid values: "
            f"inputs_tensors={input_tensors}"
        )
    from kerasish import tree as keras_tree

    try:
        keras_tree.assert_same_structure(input_tensors, model.input)
    except ValueError as err:
        raise ValueError(
            "`input_tensors` must have the same structure as model.input\nReference structure: "
            f"{model.input}\nReceived structure: {input_tensors}"
        ) from err

    def as_input(x: KerasTensor) -> KerasTensor:
        if isinstance(x._keras_history.layer, InputLayer):
            return x
        return Input(batch_shape=x.shape, dtype=x.dtype)

    return tree.map_structure(as_input, input_tensors)


def _functional_like(cls: type) -> bool:
    """Whether ``cls(inputs, outputs, name=...)`` builds the model (Keras 3's test)."""
    spec = inspect.getfullargspec(cls.__init__)
    if spec.args[1:] == inspect.getfullargspec(Functional.__init__).args[1:]:
        return True
    return spec.varargs is not None and spec.varkw is not None


def _copy_compile(model: Any, cloned: Any) -> None:
    from kerasish.saving import compile_state

    config = compile_state.keras3_compile_config(model)
    if config is not None:
        compile_state.compile_from_config(cloned, config)
