"""Keras 3's ``assets/`` folder inside ``.keras`` zips (``saving_lib``'s ``DiskIOStore``).

A layer with ``save_assets(dir_path)`` writes files into its own folder, at the same attribute
path its weights have (``assets/layers/string_lookup/vocabulary.txt``); ``load_assets(dir_path)``
reads them back after the weights are loaded. Keras 3 and user layers use the same two hooks,
so files cross-load both ways. Only folders that hold files end up in the zip, as in Keras.
"""

from __future__ import annotations

import os
import posixpath
import tempfile
import zipfile
from typing import Any

from kerasish.saving import keras3_weights

_ASSETS = "assets"


def write_assets(model: Any, archive: zipfile.ZipFile) -> None:
    """Every ``save_assets`` file of ``model``'s layers into ``archive`` under ``assets/``."""
    owners = [(path, layer) for path, layer in keras3_weights.saveables(model) if hasattr(layer, "save_assets")]
    if not owners:
        return
    with tempfile.TemporaryDirectory() as root:
        for path, layer in owners:
            directory = os.path.join(root, *path.split("/")) if path else root
            os.makedirs(directory, exist_ok=True)
            layer.save_assets(directory)
        for folder, _, files in sorted(os.walk(root)):
            for name in sorted(files):
                full = os.path.join(folder, name)
                relative = os.path.relpath(full, root).replace(os.sep, "/")
                archive.write(full, f"{_ASSETS}/{relative}")


def read_assets(archive: zipfile.ZipFile) -> dict[str, bytes]:
    """The archive's asset files by their path below ``assets/``."""
    assets = {}
    for member in archive.namelist():
        if not member.startswith(f"{_ASSETS}/") or member.endswith("/"):
            continue
        relative = member[len(_ASSETS) + 1 :]
        parts = relative.split("/")
        if posixpath.isabs(relative) or ".." in parts or "\\" in relative:
            raise ValueError(f"Invalid asset path in the archive: '{member}' escapes the asset directory.")
        assets[relative] = archive.read(member)
    return assets


def load_assets(model: Any, assets: dict[str, bytes]) -> None:
    """Hand each layer with ``load_assets`` the folder of its files (layers without files in the
    archive are left alone)."""
    owners = [(path, layer) for path, layer in keras3_weights.saveables(model) if hasattr(layer, "load_assets")]
    if not owners or not assets:
        return
    with tempfile.TemporaryDirectory() as root:
        for relative, data in assets.items():
            target = os.path.join(root, *relative.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(data)
        for path, layer in owners:
            directory = os.path.join(root, *path.split("/")) if path else root
            if os.path.isdir(directory) and os.listdir(directory):
                layer.load_assets(directory)
