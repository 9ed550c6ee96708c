"""Layer assets inside ``.keras`` zips: written at the layer's attribute path, read back after
the weights, refused when a member would escape the asset folder."""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pytest

import kerasish
from kerasish import layers
from kerasish.saving import keras3_assets


class NoteKeeper(layers.Layer):
    """A user layer with Keras 3's asset hooks."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.note = "empty"

    def save_assets(self, dir_path):
        with open(os.path.join(dir_path, "note.txt"), "w") as f:
            f.write(self.note)

    def load_assets(self, dir_path):
        with open(os.path.join(dir_path, "note.txt")) as f:
            self.note = f.read()


def _model(note: str):
    inputs = kerasish.Input(shape=(2,))
    layer = NoteKeeper()
    layer.note = note
    return kerasish.Model(inputs, layer(inputs))


def test_assets_are_written_at_the_layer_path_and_read_back():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        keras3_assets.write_assets(_model("hello"), archive)
    with zipfile.ZipFile(buffer) as archive:
        assert archive.namelist() == ["assets/layers/note_keeper/note.txt"]
        assets = keras3_assets.read_assets(archive)
    target = _model("empty")
    keras3_assets.load_assets(target, assets)
    assert target.layers[1].note == "hello"


def test_a_member_escaping_the_asset_folder_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("assets/../evil.txt", "x")
    with zipfile.ZipFile(buffer) as archive, pytest.raises(ValueError, match="escapes"):
        keras3_assets.read_assets(archive)


def test_lookup_vocabulary_in_config_writes_no_asset(tmp_path):
    inputs = kerasish.Input(shape=(2,), dtype="string")
    model = kerasish.Model(inputs, layers.StringLookup(vocabulary=["a", "b"])(inputs))
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert not [n for n in archive.namelist() if n.startswith("assets/")]
    loaded = kerasish.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(np.array([["b", "q"]]), verbose=0), [[2, 0]])
