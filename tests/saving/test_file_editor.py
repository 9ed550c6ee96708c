"""KerasFileEditor on kerasish's own files: the tree it reads, its edits and errors, the files
it writes, and the checks that refuse unsafe HDF5 content."""

import h5py
import numpy as np
import pytest

import kerasish as keras
from kerasish.saving import KerasFileEditor


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _stack(middle=False):
    layers = [keras.Input((4,)), keras.layers.Dense(3)]
    if middle:
        layers.append(keras.layers.BatchNormalization())
    layers.append(keras.layers.Dense(2))
    return keras.Sequential(layers, name="stack")


def _saved_stack():
    model = _stack()
    model.save_weights("s.weights.h5")
    return model


def test_reads_the_tree_and_object_names(capsys):
    model = _saved_stack()
    editor = KerasFileEditor("s.weights.h5")
    assert capsys.readouterr().out == "Keras model file 's.weights.h5'\n"
    assert list(editor.weights_dict) == ["layers"]
    assert list(editor.weights_dict["layers"]) == ["dense", "dense_1"]
    np.testing.assert_array_equal(editor.weights_dict["layers"]["dense"]["0"], model.layers[0].get_weights()[0])
    assert editor.object_metadata == {
        "/layers/dense": {"name": "dense"},
        "/layers/dense_1": {"name": "dense_1"},
    }  # the model's own (empty) ``vars`` group is skipped with its name, as in Keras
    assert editor.config is None and editor.metadata is None


def test_keras_zip_gives_config_and_metadata(capsys):
    model = _stack()
    model.save("m.keras")
    editor = KerasFileEditor("m.keras")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Keras model file 'm.keras'"
    assert out[1].startswith("Saved with Keras 3.") and " - date: " in out[1]
    assert editor.config["class_name"] == "Sequential"
    assert set(editor.metadata) >= {"keras_version", "date_saved"}


def test_objects_with_empty_vars_are_dropped_as_in_keras():
    inputs = keras.Input((3, 2))
    x = keras.layers.LSTM(2)(inputs)
    x = keras.Sequential([keras.layers.Dense(2)])(x)
    keras.Model(inputs, keras.layers.Dense(1)(x)).save_weights("m.weights.h5")
    editor = KerasFileEditor("m.weights.h5")
    assert list(editor.weights_dict["layers"]) == ["dense"]


def test_summary_draws_the_tree(capsys):
    _saved_stack()
    editor = KerasFileEditor("s.weights.h5")
    capsys.readouterr()
    editor.summary()
    assert capsys.readouterr().out.splitlines() == [
        "Weights structure",
        "  > layers",
        "      ├─ dense",
        "      │   ├─ 0: shape=(4, 3), dtype=float32",
        "      │   └─ 1: shape=(3,), dtype=float32",
        "      └─ dense_1",
        "          ├─ 0: shape=(3, 2), dtype=float32",
        "          └─ 1: shape=(2,), dtype=float32",
    ]


def test_compare_counts_as_keras(capsys):
    model = _saved_stack()
    editor = KerasFileEditor("s.weights.h5")
    assert editor.compare(model) == {"status": "success", "error_count": 0, "match_count": 6}
    editor.delete_object("dense_1")
    result = editor.compare(model)
    assert result["status"] == "error" and result["error_count"] == 1
    assert "...Object /layers/dense_1 present in reference model, missing from saved file" in (
        capsys.readouterr().out
    )


def test_edits_and_their_errors():
    _saved_stack()
    editor = KerasFileEditor("s.weights.h5")
    editor.rename_object("layers/dense_1", "head")
    assert list(editor.weights_dict["layers"]) == ["dense", "head"]
    editor.delete_weight("head", "1")
    assert list(editor.weights_dict["layers"]["head"]) == ["0"]
    editor.add_weights("head", {"1": np.zeros(2, "float32")})
    editor.add_object("layers/extra", {"0": np.ones(1)})
    assert list(editor.weights_dict["layers"]) == ["dense", "head", "extra"]
    with pytest.raises(ValueError, match="should be a leaf name"):
        editor.rename_object("head", "a/b")
    with pytest.raises(ValueError, match="Source name 'nope' does not appear in the model"):
        editor.delete_object("nope")
    with pytest.raises(ValueError, match="Path 'layers/nope' not found in model."):
        editor.delete_object("layers/nope")
    with pytest.raises(ValueError, match="Path 'x/y' not found in model."):
        editor.add_object("x/y/z", {})
    with pytest.raises(ValueError, match=r"Received: type\(weights\)=<class 'list'>"):
        editor.add_weights("head", [1])
    with pytest.raises(ValueError, match=r"Weight 7 not found in object head. Weights found: \['0', '1'\]"):
        editor.delete_weight("head", "7")
    editor.add_object("dense", {"0": np.ones(1)})  # a second object named "dense"
    with pytest.raises(ValueError, match="occurs more than once in the model"):
        editor.delete_object("dense")


def test_saved_edits_load_into_the_new_architecture():
    old = _saved_stack()
    editor = KerasFileEditor("s.weights.h5")
    gamma = np.arange(3, dtype="float32")
    editor.add_object(
        "layers/batch_normalization",
        {"0": gamma, "1": np.zeros(3, "float32"), "2": np.zeros(3, "float32"), "3": np.ones(3, "float32")},
    )
    editor.resave_weights("new.weights.h5")
    new = _stack(middle=True)
    new.load_weights("new.weights.h5")
    np.testing.assert_array_equal(new.layers[1].get_weights()[0], gamma)
    np.testing.assert_array_equal(new.layers[2].get_weights()[1], old.layers[1].get_weights()[1])
    with h5py.File("new.weights.h5") as f:
        assert sorted(f["layers/batch_normalization/vars"]) == ["0", "1", "2", "3"]


def test_filenames_are_checked():
    with pytest.raises(ValueError, match=r"expected a `.keras` `.weights.h5` extension. Received: filepath=a.h5"):
        KerasFileEditor("a.h5")
    _saved_stack()
    editor = KerasFileEditor("s.weights.h5")
    with pytest.raises(ValueError, match=r"expected a `.weights.h5` extension. Received: filepath=b.keras"):
        editor.save("b.keras")


def test_links_in_the_file_are_refused():
    with h5py.File("linked.weights.h5", "w") as f:
        f.create_dataset("layers/dense/vars/0", data=np.ones(2))
        f["layers/alias"] = h5py.SoftLink("/layers/dense")
    with pytest.raises(ValueError, match="Not allowed: H5 file with SoftLink"):
        KerasFileEditor("linked.weights.h5")
