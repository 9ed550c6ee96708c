"""The two directions: Keras file -> torch state_dict, torch state_dict -> Keras file."""

from __future__ import annotations

from typing import Any, Callable, Optional

import torch

from kerasish.converter import flatten, keras_files, torch_files, verify
from kerasish.converter.errors import ConversionError
from kerasish.converter.mapping import KeyMap, read_map

# Above this many tensors the conversion shows a progress bar.
PROGRESS_THRESHOLD = 50


def _each_with_progress(items: list, verbose: bool) -> Any:
    """Iterate ``items``, drawing kerasish's progress bar when there are many of them."""
    if not verbose or len(items) <= PROGRESS_THRESHOLD:
        yield from items
        return
    from kerasish.training.progbar import Progbar

    bar = Progbar(len(items), unit_name="tensor")
    for done, item in enumerate(items, 1):
        yield item
        bar.update(done)


def _key_map(mapping: Optional[str]) -> KeyMap:
    return read_map(mapping) if mapping else KeyMap()


def _reshape_flattened(
    model: Any, state: dict, enabled: bool, move: Callable[[torch.Tensor, tuple], torch.Tensor]
) -> dict:
    if not enabled:
        return state
    for key, shape in flatten.flattened_dense_shapes(model).items():
        if key in state:
            state[key] = move(state[key], shape)
    return state


def torch_state(model: Any, flatten_to_nchw: bool = False, verbose: bool = False) -> dict:
    """The model's state_dict as independent contiguous CPU tensors (safetensors refuses shared
    storage, and a GRU's two biases are views of one parameter)."""
    state = {
        key: value.detach().cpu().contiguous().clone()
        for key, value in _each_with_progress(list(model.state_dict().items()), verbose)
    }
    return _reshape_flattened(model, state, flatten_to_nchw, flatten.to_nchw)


def to_torch(
    source: str,
    output: str,
    config: Optional[str] = None,
    mapping: Optional[str] = None,
    verify_outputs: bool = False,
    flatten_to_nchw: bool = False,
    verbose: bool = False,
) -> Optional[float]:
    """Write the weights of Keras file ``source`` as a torch state_dict; with
    ``verify_outputs``, return the largest output difference after reloading ``output``."""
    key_map = _key_map(mapping)
    model = keras_files.load_keras(source, config)
    state = key_map.apply(torch_state(model, flatten_to_nchw, verbose))
    torch_files.save_state_dict(state, output)
    if not verify_outputs:
        return None
    reloaded = keras_files.model_from_config_file(config or source)
    _load_checked(reloaded, torch_files.load_state_dict(output), key_map.inverted(),
                  flatten_to_nchw, output, verbose=False)
    return verify.max_difference(model, reloaded)


def _load_checked(
    model: Any, state: dict, key_map: KeyMap, flatten_to_nchw: bool, where: str, verbose: bool
) -> None:
    """Load ``state`` (torch-side keys) into ``model``, refusing missing, unexpected or
    mis-shaped tensors with their names and shapes."""
    state = key_map.apply(state)
    expected = model.state_dict()
    # torch's BatchNorm counts its batches; Keras keeps no such counter.
    state = {
        k: v for k, v in state.items()
        if k in expected or not k.endswith(".num_batches_tracked")
    }
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        raise ConversionError(
            f"The tensors in '{where}' do not match the model's state_dict keys. "
            f"Missing: {missing}. Unexpected: {unexpected}. (A --map file renames keys.)"
        )
    state = _reshape_flattened(model, dict(state), flatten_to_nchw, flatten.from_nchw)
    for key in _each_with_progress(list(expected), verbose):
        if tuple(state[key].shape) != tuple(expected[key].shape):
            layer = key.rsplit(".", 1)[0]
            raise ConversionError(
                f"Shape mismatch for '{key}' (layer '{layer}'): the model expects "
                f"{tuple(expected[key].shape)}, '{where}' has {tuple(state[key].shape)}."
            )
    model.load_state_dict(state)


def to_keras(
    state_path: str,
    config: str,
    output: str,
    mapping: Optional[str] = None,
    verify_outputs: bool = False,
    flatten_to_nchw: bool = False,
    verbose: bool = False,
) -> Optional[float]:
    """Build the model of ``config``, load the torch state_dict ``state_path`` (keys renamed by
    the inverted ``mapping``) and save it as the Keras file ``output``."""
    key_map = _key_map(mapping).inverted()
    model = keras_files.model_from_config_file(config)
    _load_checked(model, torch_files.load_state_dict(state_path), key_map, flatten_to_nchw,
                  state_path, verbose)
    keras_files.save_keras(model, output)
    if not verify_outputs:
        return None
    return verify.max_difference(model, keras_files.reload_keras(output, config))
