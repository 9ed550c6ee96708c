"""TensorBoard: epoch (and optionally batch) scalars, weight histograms and images, and the
model's conceptual graph, written with ``torch.utils.tensorboard.SummaryWriter``.

The layout is Keras 3's: ``<log_dir>/train`` and ``<log_dir>/validation`` event files, scalars
``epoch_<name>`` at step ``epoch`` (validation values without their ``val_`` prefix),
``batch_<name>`` at the global batch number, ``evaluation_<name>_vs_iterations`` at the
optimizer's iteration count, histograms ``<layer>/<weight>/histogram``, and the model's JSON
config under the tag ``keras`` for TensorBoard's graph plugin.

Needs the ``tensorboard`` package (``pip install tensorboard``); constructing the callback
without it raises ``ImportError`` saying so.
"""

from __future__ import annotations

import importlib.util
import os
import time
import warnings
from typing import Any, Optional, Union

import numpy as np

from kerasish.callbacks.base import Callback, logs_to_floats


def _summary_writer_class() -> type:
    if importlib.util.find_spec("tensorboard") is None:
        raise ImportError(
            "The TensorBoard callback writes through torch.utils.tensorboard, which needs the "
            "`tensorboard` package. Install it with: pip install tensorboard"
        )
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter


def _keras_model_summary(json_string: str) -> Any:
    """The summary TensorBoard's graph plugin reads a Keras model from (tag ``keras``)."""
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.compat.proto.tensor_pb2 import TensorProto
    from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboard.compat.proto.types_pb2 import DT_STRING

    metadata = SummaryMetadata(
        plugin_data=SummaryMetadata.PluginData(plugin_name="graph_keras_model", content=b"1")
    )
    tensor = TensorProto(
        dtype=DT_STRING,
        tensor_shape=TensorShapeProto(),
        string_val=[json_string.encode("utf-8")],
    )
    return Summary(value=[Summary.Value(tag="keras", metadata=metadata, tensor=tensor)])


class TensorBoard(Callback):
    _supports_tensor_logs = True

    def __init__(
        self,
        log_dir: Union[str, os.PathLike] = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: Union[str, int] = "epoch",
        profile_batch: Any = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: Any = None,
    ) -> None:
        super().__init__()
        self._writer_class = _summary_writer_class()
        if profile_batch:
            raise ValueError(
                "Profiling is not yet available with the torch backend. Please open a PR if "
                f"you'd like to add this feature. Received: profile_batch={profile_batch} "
                "(must be 0)"
            )
        if embeddings_freq:
            raise NotImplementedError(
                "TensorBoard(embeddings_freq=...): the embedding projector is not supported by "
                "kerasish."
            )
        if update_freq != "epoch" and update_freq != "batch" and not isinstance(update_freq, int):
            raise ValueError(
                f"`update_freq` must be 'epoch', 'batch' or an integer. Received: {update_freq}"
            )
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers: dict[str, Any] = {}
        self._global_train_batch = 0
        self._epoch_batches = 0
        self._epoch_start_time = 0.0
        self._batch_start_time = 0.0

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._close_writers()
        if self.write_graph:
            self._write_keras_model_summary()

    @property
    def _train_writer(self) -> Any:
        if "train" not in self._writers:
            self._writers["train"] = self._writer_class(log_dir=self._train_dir)
        return self._writers["train"]

    @property
    def _val_writer(self) -> Any:
        if "val" not in self._writers:
            self._writers["val"] = self._writer_class(log_dir=self._val_dir)
        return self._writers["val"]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _write_keras_model_summary(self) -> None:
        # Keras writes the conceptual graph of config-described models only.
        if type(self.model).__name__ not in ("Functional", "Sequential"):
            return
        try:
            json_string = self.model.to_json()
        except Exception as exc:  # a model that cannot be described must not stop training
            warnings.warn(f"Model failed to serialize as JSON. Ignoring... {exc}", stacklevel=2)
            return
        writer = self._train_writer
        writer._get_file_writer().add_summary(_keras_model_summary(json_string), global_step=0)
        writer.flush()

    def _batches_needed(self) -> bool:
        return self.update_freq != "epoch" or self.write_steps_per_second

    def _implements_train_batch_hooks(self) -> bool:
        return self._batches_needed()

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        self._global_train_batch = 0

    def on_train_end(self, logs: Optional[dict] = None) -> None:
        self._close_writers()

    def on_epoch_begin(self, epoch: int, logs: Optional[dict] = None) -> None:
        self._epoch_batches = 0
        self._epoch_start_time = time.time()

    def on_train_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        self._global_train_batch += 1
        self._epoch_batches += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def on_train_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        # Read the batch logs only on the batches that are written.
        step = self._global_train_batch
        writer = self._train_writer
        if self.write_steps_per_second:
            elapsed = time.time() - self._batch_start_time
            writer.add_scalar("batch_steps_per_second", 1.0 / elapsed if elapsed else 0.0, step)
        for name, value in logs_to_floats(logs).items():
            writer.add_scalar(f"batch_{name}", value, step)

    def on_test_end(self, logs: Optional[dict] = None) -> None:
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        if iterations is None or not logs:
            return
        step = int(iterations)
        writer = self._val_writer
        for name, value in logs_to_floats(logs).items():
            writer.add_scalar(f"evaluation_{name}_vs_iterations", value, step)

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        self._log_epoch_metrics(epoch, logs_to_floats(logs))
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)

    def _log_epoch_metrics(self, epoch: int, logs: dict) -> None:
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            train_logs["learning_rate"] = float(optimizer.learning_rate)
        if self.write_steps_per_second:
            elapsed = time.time() - self._epoch_start_time
            train_logs["steps_per_second"] = self._epoch_batches / elapsed if elapsed else 0.0
        for writer, values in ((self._train_writer, train_logs), (self._val_writer, val_logs)):
            if not values:
                continue
            for name, value in values.items():
                writer.add_scalar(f"epoch_{name}", value, epoch)
            writer.flush()

    def _log_weights(self, epoch: int) -> None:
        writer = self._train_writer
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                values = np.asarray(weight)
                writer.add_histogram(f"{name}/histogram", values, epoch)
                if self.write_images:
                    image = _weight_image(values)
                    if image is not None:
                        writer.add_images(f"{name}/image", image, epoch, dataformats="NHWC")
        writer.flush()


def _weight_image(weight: np.ndarray) -> Optional[np.ndarray]:
    """A weight as an NHWC image batch, by Keras' rules; ``None`` when it has no image form."""
    image = np.squeeze(weight)
    if image.ndim == 1:  # a bias: one row
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:  # a dense kernel, wider than tall
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.ndim == 3:  # a conv kernel (channels_last): one image per channel
        image = np.transpose(image, (2, 0, 1))
        image = image.reshape(image.shape[0], image.shape[1], image.shape[2], 1)
    if image.ndim == 4 and image.shape[-1] in (1, 3, 4):
        return image
    return None
