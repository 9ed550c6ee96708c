"""Reading and writing torch weight files: ``torch.save`` state_dicts and ``.safetensors``."""

from __future__ import annotations

import os
from typing import Any

import torch

from kerasish.converter.errors import ConversionError

TORCH_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt")


def is_safetensors(path: str) -> bool:
    return str(path).lower().endswith(".safetensors")


def _safetensors() -> Any:
    try:
        import safetensors.torch
    except ImportError:
        raise ConversionError(
            "Reading or writing `.safetensors` files needs the `safetensors` package "
            "(pip install safetensors)."
        ) from None
    return safetensors.torch


def load_state_dict(path: str) -> dict[str, torch.Tensor]:
    """The tensors of a state_dict file; a checkpoint dict with one ``state_dict`` entry is
    unwrapped, since that is how training scripts commonly save."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ConversionError(f"No file found at '{path}'.")
    if is_safetensors(path):
        try:
            return dict(_safetensors().load_file(path))
        except Exception as err:  # safetensors raises its own SafetensorError
            raise ConversionError(f"Could not read '{path}' as a safetensors file: {err}") from err
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ConversionError(
            f"Could not read '{path}' as a torch state_dict (torch.load with weights_only=True): "
            f"{err}"
        ) from err
    for wrapper in ("state_dict", "model_state_dict"):
        if isinstance(data, dict) and isinstance(data.get(wrapper), dict):
            data = data[wrapper]
    if not isinstance(data, dict) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise ConversionError(
            f"'{path}' does not hold a state_dict (a dict of name -> tensor); it holds "
            f"{type(data).__name__}."
        )
    return dict(data)


def save_state_dict(state: dict[str, torch.Tensor], path: str) -> None:
    path = os.fspath(path)
    if is_safetensors(path):
        _safetensors().save_file(state, path, metadata={"format": "pt"})
    else:
        torch.save(state, path)
