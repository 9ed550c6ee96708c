"""``keras.export``: Keras 3's namespace for inference artifacts.

``Model.export(format="onnx" | "torch")`` (``kerasish.models.export``) makes kerasish's artifacts.
``ExportArchive`` builds TensorFlow SavedModels endpoint by endpoint; kerasish does not use
TensorFlow, so it is refused by name.
"""

from __future__ import annotations

from typing import Any


class ExportArchive:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "keras.export.ExportArchive writes TensorFlow SavedModels, which kerasish does not "
            "make. Use model.export(path, format='onnx') or format='torch' (torch.export)."
        )


__all__ = ["ExportArchive"]
