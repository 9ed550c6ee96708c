"""audio_dataset_from_directory on tiny WAV trees written here with ``wave``."""

from __future__ import annotations

import wave

import numpy as np
import pytest

import kerasish
from kerasish import utils
from kerasish.utils.audio_dataset import decode_wav


def write_wav(path, samples, rate=8000, width=2):
    samples = np.asarray(samples, dtype="<i2")
    if samples.ndim == 1:
        samples = samples[:, None]
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(samples.shape[1])
        handle.setsampwidth(width)
        handle.setframerate(rate)
        handle.writeframes(samples.tobytes() if width == 2 else bytes(samples.size * width))


@pytest.fixture
def audio_tree(tmp_path):
    """class ``a``: clips of 3 and 5 samples; class ``b``: 4 and 2 samples; one non-WAV file."""
    clips = {
        "a/0.wav": [100, -200, 32767],
        "a/1.wav": [1, 2, 3, 4, -32768],
        "b/0.wav": [10, 20, 30, 40],
        "b/1.wav": [5, -5],
    }
    for name, values in clips.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        write_wav(tmp_path / name, values)
    (tmp_path / "a" / "notes.txt").write_text("skip")
    return tmp_path, {name: np.asarray(v, "float32")[:, None] / 32768 for name, v in clips.items()}


def test_decode_wav_scales_16bit_pcm_like_tf(tmp_path):
    write_wav(tmp_path / "s.wav", [[0, 16384], [-32768, 32767]], rate=16000)
    audio, rate = decode_wav(str(tmp_path / "s.wav"))
    assert rate == 16000 and audio.dtype == np.float32 and audio.shape == (2, 2)
    np.testing.assert_array_equal(audio, [[0.0, 0.5], [-1.0, 32767 / 32768]])


def test_decode_wav_rejects_other_bit_depths(tmp_path):
    write_wav(tmp_path / "s.wav", [1, 2], width=1)
    with pytest.raises(ValueError, match="only 16-bit PCM.*received 8-bit"):
        decode_wav(str(tmp_path / "s.wav"))


def test_batches_are_padded_to_longest_clip(audio_tree):
    root, clips = audio_tree
    ds = utils.audio_dataset_from_directory(str(root), batch_size=2, shuffle=False, verbose=False)
    assert ds.class_names == ["a", "b"] and len(ds) == 2
    audio, labels = ds[0]
    assert audio.shape == (2, 5, 1) and audio.dtype == np.float32
    expected = np.zeros((2, 5, 1), "float32")
    expected[0, :3], expected[1] = clips["a/0.wav"], clips["a/1.wav"]
    np.testing.assert_array_equal(audio, expected)
    np.testing.assert_array_equal(labels, np.array([0, 0], "int32"))
    audio, labels = ds[1]
    assert audio.shape == (2, 4, 1) and labels.dtype == np.int32
    np.testing.assert_array_equal(audio[1, 2:], 0.0)


def test_output_sequence_length_cuts_and_pads_every_clip(audio_tree):
    root, clips = audio_tree
    ds = utils.audio_dataset_from_directory(
        str(root), batch_size=4, shuffle=False, output_sequence_length=3, label_mode="categorical",
        verbose=False,
    )
    audio, labels = ds[0]
    assert audio.shape == (4, 3, 1)
    np.testing.assert_array_equal(audio[1], clips["a/1.wav"][:3])
    np.testing.assert_array_equal(audio[3, :, 0], [5 / 32768, -5 / 32768, 0.0])
    np.testing.assert_array_equal(labels, np.eye(2, dtype="float32")[[0, 0, 1, 1]])


def test_unbatched_and_unlabelled(audio_tree):
    root, clips = audio_tree
    ds = utils.audio_dataset_from_directory(
        str(root), batch_size=None, labels=None, shuffle=False, verbose=False
    )
    assert len(ds) == 4 and ds.class_names is None
    np.testing.assert_array_equal(ds[3], clips["b/1.wav"])
    binary = utils.audio_dataset_from_directory(
        str(root), batch_size=None, label_mode="binary", shuffle=False, verbose=False
    )
    audio, label = binary[2]
    assert audio.shape == (4, 1) and label.shape == (1,) and label.dtype == np.float32


def test_validation_split_both_and_seeded_shuffle(audio_tree):
    root, _ = audio_tree
    train, val = utils.audio_dataset_from_directory(
        str(root), batch_size=8, validation_split=0.25, subset="both", seed=3, verbose=False
    )
    assert len(train.file_paths) == 3 and len(val.file_paths) == 1
    assert not set(train.file_paths) & set(val.file_paths)
    again = utils.audio_dataset_from_directory(
        str(root), batch_size=8, validation_split=0.25, subset="training", seed=3, verbose=False
    )
    assert again.file_paths == train.file_paths


def test_fit_on_audio_dataset(audio_tree):
    root, _ = audio_tree
    ds = utils.audio_dataset_from_directory(
        str(root), batch_size=2, output_sequence_length=4, seed=0, verbose=False
    )
    model = kerasish.Sequential(
        [kerasish.Input((4, 1)), kerasish.layers.Flatten(), kerasish.layers.Dense(2)]
    )
    model.compile("sgd", kerasish.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert len(model.fit(ds, epochs=2, verbose=0).history["loss"]) == 2


def test_follow_links(audio_tree, tmp_path_factory):
    root, _ = audio_tree
    outside = tmp_path_factory.mktemp("outside")
    write_wav(outside / "x.wav", [1, 2])
    (root / "b" / "linked").symlink_to(outside, target_is_directory=True)
    kwargs = dict(batch_size=None, shuffle=False, verbose=False)
    assert len(utils.audio_dataset_from_directory(str(root), **kwargs)) == 4
    assert len(utils.audio_dataset_from_directory(str(root), follow_links=True, **kwargs)) == 5


def test_mixed_channel_counts_in_a_batch_raise(tmp_path):
    (tmp_path / "a").mkdir()
    write_wav(tmp_path / "a" / "0.wav", [1, 2])
    write_wav(tmp_path / "a" / "1.wav", [[1, 2]])
    ds = utils.audio_dataset_from_directory(str(tmp_path), shuffle=False, verbose=False)
    with pytest.raises(ValueError, match=r"same number of channels.*\[1, 2\]"):
        ds[0]


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(sampling_rate=16000), ImportError, "install tensorflow_io"),
        (dict(sampling_rate=16000.0), ValueError, "integer value"),
        (dict(sampling_rate=0), ValueError, "higher than 0"),
        (dict(ragged=True), NotImplementedError, r"ragged=True"),
        (dict(ragged=True, output_sequence_length=3), ValueError, "both `ragged`"),
        (dict(label_mode="sparse"), ValueError, "label_mode"),
        (dict(labels="bad"), ValueError, "list/tuple of integer labels"),
        (dict(labels=[0, 1, 0, 1], class_names=["a"]), ValueError, "only pass `class_names`"),
        (dict(label_mode="binary", class_names=["a"]), ValueError, "exactly 2 class_names"),
        (dict(validation_split=0.5), ValueError, "`validation_split` must be set"),
    ],
)
def test_argument_errors(audio_tree, kwargs, error, message):
    root, _ = audio_tree
    with pytest.raises(error, match=message):
        utils.audio_dataset_from_directory(str(root), verbose=False, **kwargs)


def test_empty_directory_names_it(tmp_path):
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match=r"No audio files found in directory .*\('.wav',\)"):
        utils.audio_dataset_from_directory(str(tmp_path), verbose=False)
