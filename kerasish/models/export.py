"""``Model.export``: Keras 3's inference artifacts, made by torch's own exporters.

A kerasish model is a ``torch.nn.Module`` whose ``forward`` takes one tensor per model input,
so Keras' ``format="onnx"`` and ``format="torch"`` are ``torch.onnx.export`` and
``torch.export.export`` of the model itself, with the Keras input names and every ``None``
dimension of the input signature made dynamic. The formats that need TensorFlow, OpenVINO or
LiteRT are refused by name: kerasish runs without them.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import warnings
from typing import Any, Iterator, Optional

import torch

from kerasish import backend
from kerasish.utils import tree

FORMATS = ("tf_saved_model", "onnx", "openvino", "litert", "torch")
_OTHER_RUNTIMES = {
    "tf_saved_model": "TensorFlow SavedModel",
    "openvino": "OpenVINO",
    "litert": "LiteRT (TFLite)",
}


class _Spec:
    """One flat model input: shape with ``None`` for free dimensions, dtype and name."""

    def __init__(self, shape: tuple, dtype: torch.dtype, name: Optional[str]) -> None:
        self.shape, self.dtype, self.name = shape, dtype, name

    def sample(self, free_size: int) -> torch.Tensor:
        shape = [free_size if dim is None else dim for dim in self.shape]
        return torch.ones(shape, dtype=self.dtype)


def export_model(
    model: Any,
    filepath: Any,
    format: str = "tf_saved_model",
    verbose: Optional[bool] = None,
    input_signature: Any = None,
    **kwargs: Any,
) -> Any:
    if format not in FORMATS:
        raise ValueError(
            f"Unrecognized format={format}. Supported formats are: {list(FORMATS)}."
        )
    if format in _OTHER_RUNTIMES:
        raise NotImplementedError(
            f"Model.export(format={format!r}): a {_OTHER_RUNTIMES[format]} artifact needs that "
            "runtime, which kerasish does not use. Export with format='onnx' (runs in "
            "onnxruntime, OpenVINO and TensorRT) or format='torch' (a torch.export program)."
        )
    specs = _input_specs(model, input_signature)
    filepath = os.fspath(filepath)
    if format == "onnx":
        return _export_onnx(model, filepath, specs, verbose, **kwargs)
    return _export_torch(model, filepath, specs, verbose, **kwargs)


def _input_specs(model: Any, input_signature: Any) -> list[_Spec]:
    if input_signature is None:
        if getattr(model, "inputs", None):
            input_signature = list(model.inputs)
        else:
            raise ValueError(
                f"Model {model.name!r} has no known inputs to export: it is a subclassed model "
                "(or a Sequential without an Input). Pass input_signature=, e.g. "
                "[keras.InputSpec(shape=(None, 8), dtype='float32')]."
            )
    return [_spec(entry, index) for index, entry in enumerate(tree.flatten(input_signature))]


def _spec(entry: Any, index: int) -> _Spec:
    if isinstance(entry, torch.Tensor):
        return _Spec(tuple(entry.shape), entry.dtype, None)
    if hasattr(entry, "shape") and hasattr(entry, "dtype"):
        if entry.shape is None:
            raise ValueError(f"input_signature entry {index} ({entry!r}) has no shape.")
        dtype = backend.torch_dtype(backend.standardize_dtype(entry.dtype or "float32"))
        return _Spec(tuple(entry.shape), dtype, getattr(entry, "name", None))
    raise TypeError(
        "input_signature entries must be keras.InputSpec, KerasTensor, torch.Tensor or "
        f"arrays with a shape and dtype; received {type(entry).__name__} at position {index}."
    )


def _input_names(model: Any, specs: list[_Spec]) -> list[str]:
    model_names = list(getattr(model, "input_names", None) or [])
    if len(model_names) != len(specs):
        model_names = [None] * len(specs)
    return [
        spec.name or model_name or f"input_{index}"
        for index, (spec, model_name) in enumerate(zip(specs, model_names))
    ]


def _dynamic_shapes(model: Any, specs: list[_Spec]) -> Optional[tuple]:
    """Keras' names: the first axis is ``batch`` (one size shared by all inputs), any other free
    axis ``dim_<input>_<axis>``."""
    dims = tuple(
        {
            axis: torch.export.Dim("batch" if axis == 0 else f"dim_{index}_{axis}")
            for axis, size in enumerate(spec.shape)
            if size is None
        }
        or None
        for index, spec in enumerate(specs)
    )
    if all(d is None for d in dims):
        return None
    # torch.export matches dynamic shapes to forward's parameters: a generated forward names
    # one per input, a subclassed model's ``forward(*args)`` takes them all as one tuple.
    parameters = list(inspect.signature(model.forward).parameters.values())
    if parameters and parameters[0].kind is inspect.Parameter.VAR_POSITIONAL:
        return (dims,)
    return dims


def _export_onnx(
    model: Any,
    filepath: str,
    specs: list[_Spec],
    verbose: Optional[bool],
    opset_version: Optional[int] = None,
    **kwargs: Any,
) -> str:
    if kwargs:
        raise ValueError(
            f'Unsupported arguments for `format="onnx"`: {", ".join(sorted(kwargs))}. '
            "Supported arguments are: opset_version."
        )
    # Free dimensions are traced at 2: torch.export specialises a size-1 sample dimension.
    samples = tuple(spec.sample(2) for spec in specs)
    names = _input_names(model, specs)
    with _inference(model), warnings.catch_warnings(), _quiet_onnx_registry():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            model,
            samples,
            input_names=names,
            opset_version=opset_version,
            dynamic_shapes=_dynamic_shapes(model, specs),
            dynamo=True,
            verbose=False,
        )
    program.save(filepath)
    if verbose is None or verbose:
        print(f"Saved artifact at '{filepath}'.")
    return filepath


def _export_torch(
    model: Any, filepath: str, specs: list[_Spec], verbose: Optional[bool], **kwargs: Any
) -> str:
    if not filepath.endswith(".pt2"):
        raise ValueError(
            f"The PyTorch export requires the filepath to end with '.pt2'. Got: {filepath}"
        )
    supported = set(inspect.signature(torch.export.export).parameters) - {"mod", "args", "kwargs"}
    unknown = sorted(set(kwargs) - supported)
    if unknown:
        raise ValueError(
            f'Unsupported arguments for `format="torch"`: {", ".join(unknown)}. '
            f"Supported arguments are: {', '.join(sorted(supported))}."
        )
    kwargs.setdefault("strict", False)
    dynamic = kwargs.get("dynamic_shapes")
    if dynamic is None:
        dynamic = kwargs["dynamic_shapes"] = _dynamic_shapes(model, specs)
    elif isinstance(dynamic, dict) and len(specs) == 1:
        kwargs["dynamic_shapes"] = (dynamic,)
    samples = tuple(spec.sample(2 if dynamic is not None else 1) for spec in specs)
    with _inference(model):
        try:
            program = torch.export.export(model, samples, **kwargs)
        except Exception as error:
            raise RuntimeError(
                f"Failed to export model {model.name!r} to PyTorch format: {error}"
            ) from error
    torch.export.save(program, filepath)
    if verbose is None or verbose:
        print(f"Saved PyTorch ExportedProgram at '{filepath}'.")
    return filepath


@contextlib.contextmanager
def _quiet_onnx_registry() -> Iterator[None]:
    """The ONNX exporter logs a warning per torchvision op when torchvision is not installed."""
    logger = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


class _inference:
    """Export traces inference: eval mode for the trace, the caller's mode restored after."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model

    def __enter__(self) -> None:
        self.modes = [(module, module.training) for module in self.model.modules()]
        self.model.eval()

    def __exit__(self, *exc: Any) -> None:
        for module, mode in self.modes:
            module.training = mode
