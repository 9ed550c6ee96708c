"""``audio_dataset_from_directory``: a class-per-folder tree of ``.wav`` files as batches of
float32 audio ``(batch, samples, channels)``, with labels as in ``image_dataset_from_directory``.

WAV files are decoded with Python's ``wave`` module the way ``tf.audio.decode_wav`` decodes
them (16-bit PCM scaled to ``[-1, 1)``), so no TensorFlow is needed. Keras 3.15 resamples only
through ``tensorflow_io``; kerasish has no resampler either, so a ``sampling_rate`` raises the
ImportError Keras raises when ``tensorflow_io`` is missing.
"""

from __future__ import annotations

import wave
from typing import Any, Optional

import numpy as np

from kerasish.utils import dataset_utils

ALLOWED_FORMATS = (".wav",)


def audio_dataset_from_directory(
    directory: str,
    labels: Any = "inferred",
    label_mode: Optional[str] = "int",
    class_names: Optional[list] = None,
    batch_size: Optional[int] = 32,
    sampling_rate: Optional[int] = None,
    output_sequence_length: Optional[int] = None,
    ragged: bool = False,
    shuffle: bool = True,
    seed: Optional[int] = None,
    validation_split: Optional[float] = None,
    subset: Optional[str] = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> Any:
    """Without ``output_sequence_length`` each batch is zero-padded to its longest clip
    (tf.data's ``padded_batch``); with it every clip is cut or zero-padded to that length."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "The `labels` argument should be a list/tuple of integer labels, of the same "
                "size as the number of audio files in the target directory. If you wish to "
                "infer the labels from the subdirectory names in the target directory, pass "
                '`labels="inferred"`. If you wish to get a dataset that only contains audio '
                f"samples (no labels), pass `labels=None`. Received: labels={labels}"
            )
        if class_names:
            raise ValueError(
                'You can only pass `class_names` if `labels="inferred"`. '
                f"Received: labels={labels}, and class_names={class_names}"
            )
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode}"
        )
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None:
        _check_sampling_rate(sampling_rate)
    if ragged:
        raise NotImplementedError(
            "audio_dataset_from_directory(ragged=True): kerasish has no ragged tensors; "
            "use `output_sequence_length` or the default per-batch padding."
        )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, label_array, class_names = dataset_utils.index_directory(
        directory, labels, ALLOWED_FORMATS, class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={class_names}"
        )
    num_classes = len(class_names) if class_names else 0
    if subset == "both":
        parts = [("training", "training ", shuffle), ("validation", "validation ", False)]
    else:
        parts = [(subset, "", shuffle)]
    datasets = []
    for part, kind, part_shuffle in parts:
        part_paths, part_labels = dataset_utils.get_training_or_validation_split(
            paths, label_array, validation_split, part
        )
        if not part_paths:
            raise ValueError(
                f"No {kind}audio files found in directory {directory}. "
                f"Allowed format(s): {ALLOWED_FORMATS}"
            )
        encoded = (
            None
            if part_labels is None
            else dataset_utils.encode_labels(part_labels, label_mode, num_classes)
        )
        datasets.append(
            _dataset(
                part_paths, encoded, class_names, batch_size, output_sequence_length,
                part_shuffle, seed,
            )
        )
    return tuple(datasets) if subset == "both" else datasets[0]


def _check_sampling_rate(sampling_rate: Any) -> None:
    if not isinstance(sampling_rate, int):
        raise ValueError(
            f"`sampling_rate` should have an integer value. Received: sampling_rate={sampling_rate}"
        )
    if sampling_rate <= 0:
        raise ValueError(
            f"`sampling_rate` should be higher than 0. Received: sampling_rate={sampling_rate}"
        )
    raise ImportError(
        "To use the argument `sampling_rate`, you should install tensorflow_io. You can "
        "install it via `pip install tensorflow-io`."
    )


def decode_wav(path: str) -> tuple[np.ndarray, int]:
    """``(audio, sample_rate)`` with audio float32 ``(samples, channels)`` in ``[-1, 1)``,
    the scaling ``tf.audio.decode_wav`` uses for 16-bit PCM."""
    try:
        with wave.open(path, "rb") as handle:
            width = handle.getsampwidth()
            channels = handle.getnchannels()
            rate = handle.getframerate()
            frames = handle.readframes(handle.getnframes())
    except wave.Error as error:
        raise ValueError(f"Cannot decode WAV file {path}: {error}") from None
    if width != 2:
        raise ValueError(
            f"Cannot decode WAV file {path}: only 16-bit PCM is supported (as in "
            f"tf.audio.decode_wav), received {8 * width}-bit samples."
        )
    audio = np.frombuffer(frames, dtype="<i2").reshape(-1, channels)
    return audio.astype("float32") / np.float32(32768.0), rate


def _read(path: str, output_sequence_length: Optional[int]) -> np.ndarray:
    """One clip; with ``output_sequence_length`` cut or zero-padded to it (``decode_wav``'s
    ``desired_samples``)."""
    audio, _ = decode_wav(path)
    if output_sequence_length is not None:
        audio = _fit_length(audio, output_sequence_length)
    return audio


def _fit_length(audio: np.ndarray, length: int) -> np.ndarray:
    if len(audio) >= length:
        return audio[:length]
    return np.pad(audio, ((0, length - len(audio)), (0, 0)))


def _pad_batch(clips: list, paths: list) -> np.ndarray:
    channels = {clip.shape[1] for clip in clips}
    if len(channels) > 1:
        raise ValueError(
            "audio_dataset_from_directory: all audio files in a batch must have the same number "
            f"of channels, received channel counts {sorted(channels)} for files {paths}."
        )
    longest = max(len(clip) for clip in clips)
    batch = np.zeros((len(clips), longest, channels.pop()), dtype="float32")
    for row, clip in zip(batch, clips):
        row[: len(clip)] = clip
    return batch


def _dataset(
    paths: list,
    encoded: Any,
    class_names: Any,
    batch_size: Optional[int],
    output_sequence_length: Optional[int],
    shuffle: bool,
    seed: int,
) -> dataset_utils.BatchDataset:
    def make_batch(indices: np.ndarray, single: bool) -> Any:
        batch_paths = [paths[i] for i in indices]
        clips = [_read(path, output_sequence_length) for path in batch_paths]
        audio = clips[0] if single else _pad_batch(clips, batch_paths)
        if encoded is None:
            return audio
        batch_labels = encoded[indices]
        return (audio, batch_labels[0]) if single else (audio, batch_labels)

    dataset = dataset_utils.BatchDataset(len(paths), batch_size, make_batch, shuffle=shuffle, seed=seed)
    dataset.class_names = class_names
    dataset.file_paths = paths
    return dataset
