"""Where Keras' pretrained weight files come from: the Keras cache directory.

Keras downloads ``<name>.h5`` into ``$KERAS_HOME/models`` (``~/.keras/models`` without
``KERAS_HOME``) the first time an application asks for ImageNet weights, and finds it there
afterwards. The older families only look there: a file someone already downloaded with Keras
(or copied there) is used as is, and a missing one is an immediate error saying which file to
put where. The families added with Keras 3's module layout (``download_and_load``) do what
Keras does: ``get_file`` with Keras' URL, cache name and hash, so a cached file with the right
hash is used without the network and a missing one is downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_STORAGE = "https://storage.googleapis.com/"
# Keras' download locations, one per family (the folder of ``<origin><file name>``).
ORIGINS = {
    "inception_v3": _STORAGE + "tensorflow/keras-applications/inception_v3/",
    "resnet": _STORAGE + "tensorflow/keras-applications/resnet/",
    "vgg16": _STORAGE + "tensorflow/keras-applications/vgg16/",
    "vgg19": _STORAGE + "tensorflow/keras-applications/vgg19/",
    "mobilenet": _STORAGE + "tensorflow/keras-applications/mobilenet/",
    "mobilenet_v2": _STORAGE + "tensorflow/keras-applications/mobilenet_v2/",
    "xception": _STORAGE + "tensorflow/keras-applications/xception/",
    "densenet": _STORAGE + "tensorflow/keras-applications/densenet/",
    "efficientnet": _STORAGE + "keras-applications/",
    "imagenet_class_index": _STORAGE + "download.tensorflow.org/data/",
}


def keras_cache_dir() -> Path:
    """Keras' cache folder: ``$KERAS_HOME``, else ``~/.keras``; ``/tmp/.keras`` if unwritable.

    Keras reads ``KERAS_HOME`` once, when it is imported; kerasish reads it at each call.
    """
    home = os.environ.get("KERAS_HOME")
    if home is None:
        base = os.path.expanduser("~")
        home = os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")
    folder = os.path.expanduser(home)
    if os.path.isdir(folder) and not os.access(folder, os.W_OK):
        folder = os.path.join("/tmp", ".keras")  # as Keras' get_file falls back
    return Path(folder)


def cached_file(file_name: str, family: str) -> Path:
    """The path of Keras' file ``file_name`` in the cache's ``models`` folder, or an error."""
    folder = keras_cache_dir() / "models"
    path = folder / file_name
    if path.is_file():
        return path
    raise FileNotFoundError(
        f"Keras' weight file '{file_name}' is not in the Keras cache folder '{folder}', and "
        "kerasish does not download files. Download it from "
        f"{ORIGINS[family]}{file_name} (or copy it from a machine where Keras downloaded it) "
        f"and put it at '{path}'."
    )


def load_imagenet_weights(model: Any, file_name: str, family: str) -> None:
    """Load a Keras ImageNet weight file (Keras 2 HDF5, matched by layer order) from the cache."""
    model.load_weights(str(cached_file(file_name, family)))


def load_requested_weights(model: Any, weights: Any, imagenet_file: Any, family: str) -> None:
    """``weights=None``: keep the random init; ``"imagenet"``: the cached file; else a path."""
    if weights is None:
        return
    if weights == "imagenet":
        if imagenet_file is not None:
            load_imagenet_weights(model, imagenet_file, family)
        return
    model.load_weights(weights)


def download_and_load(model: Any, file_name: str, origin: str, file_hash: str) -> None:
    """Keras 3's way for the families kerasish added later: ``get_file`` into the cache's
    ``models`` folder (a cached copy whose hash matches is used without the network), then
    ``load_weights``."""
    from kerasish.utils import file_utils

    path = file_utils.get_file(file_name, origin, cache_subdir="models", file_hash=file_hash)
    model.load_weights(path)
