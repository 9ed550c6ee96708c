"""``KerasFileEditor`` side by side with Keras 3's: the same tree, printed text, comparison
results and errors for the same files, and files edited by one library load in the other."""

import keras
import numpy as np
import pytest

import kerasish


def _model(k):
    """A functional model with a nested Sequential and an LSTM (objects Keras' editor drops)."""
    inputs = k.Input((4,))
    x = k.layers.Dense(3)(inputs)
    x = k.Sequential([k.layers.Dense(2), k.layers.Dense(2)])(x)
    x = k.layers.Reshape((2, 1))(x)
    x = k.layers.LSTM(2)(x)
    return k.Model(inputs, k.layers.Dense(2)(x), name="net")


def _stack(k, middle=False):
    layers = [k.Input((4,)), k.layers.Dense(3)]
    if middle:
        layers.append(k.layers.BatchNormalization())
    layers.append(k.layers.Dense(2))
    return k.Sequential(layers, name="stack")


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    # Short relative file names keep Keras' (rich's) output under its 80-column wrap.
    monkeypatch.chdir(tmp_path)


def _open(k, path, capsys):
    editor = k.saving.KerasFileEditor(str(path))
    text = capsys.readouterr().out
    return editor, text


def _same_tree(received, expected):
    assert list(received) == list(expected)
    for key, value in expected.items():
        if isinstance(value, dict):
            _same_tree(received[key], value)
        else:
            assert received[key].dtype == value.dtype
            np.testing.assert_array_equal(received[key], value)


@pytest.mark.parametrize("suffix", [".keras", ".weights.h5"])
def test_reads_keras_files_as_keras_does(tmp_path, capsys, suffix):
    model = _model(keras)
    model.compile("adam", "mse")
    model.fit(np.ones((4, 4)), np.ones((4, 2)), verbose=0)
    path = f"m{suffix}"
    model.save(path) if suffix == ".keras" else model.save_weights(path)
    expected, expected_text = _open(keras, path, capsys)
    received, received_text = _open(kerasish, path, capsys)
    assert received_text == expected_text
    _same_tree(received.weights_dict, expected.weights_dict)
    assert received.object_metadata == expected.object_metadata
    assert received.config == expected.config and received.metadata == expected.metadata
    expected.summary()
    expected_text = capsys.readouterr().out
    received.summary()
    assert capsys.readouterr().out == expected_text


def test_kerasish_files_read_like_keras_files(tmp_path, capsys):
    reference, ours = _model(keras), _model(kerasish)
    ours.set_weights(reference.get_weights())
    reference.save_weights(tmp_path / "k.weights.h5")
    ours.save_weights(tmp_path / "o.weights.h5")
    expected, _ = _open(keras, tmp_path / "k.weights.h5", capsys)
    received, _ = _open(keras, tmp_path / "o.weights.h5", capsys)
    _same_tree(received.weights_dict, expected.weights_dict)


def _run_both(capsys, action):
    results = []
    for k in (keras, kerasish):
        result = action(k)
        results.append((result, capsys.readouterr().out))
    return results


def _edits(k, editor, model):
    """A script of comparisons and edits; returns what each step returned or raised."""
    steps = [
        lambda: editor.compare(model),
        lambda: editor.rename_object("dense_1", "dense_9"),
        lambda: editor.compare(model),
        lambda: editor.delete_weight("dense", "1"),
        lambda: editor.compare(model),
        lambda: editor.rename_object("layers", "x/y"),
        lambda: editor.rename_object("nope", "x"),
        lambda: editor.delete_object("layers/nope"),
        lambda: editor.add_object("a/b", {}),
        lambda: editor.add_object("a", [1]),
        lambda: editor.add_weights("dense", [1]),
        lambda: editor.delete_weight("dense", "7"),
        lambda: editor.delete_weight("layers/dense", "0"),
        lambda: editor.add_object("layers/extra", {"0": np.ones((2, 2), "float32")}),
        lambda: editor.add_weights("layers/dense_9", {"5": np.zeros(3, "float32")}),
        lambda: editor.compare(model),
        lambda: editor.save("x.h5"),
        lambda: editor.summary(),
    ]
    outcomes = []
    for step in steps:
        try:
            outcomes.append(("ok", step()))
        except Exception as err:  # the errors are part of what is compared
            outcomes.append((type(err).__name__, str(err)))
    return outcomes


def test_compare_and_edits_print_and_raise_as_keras(tmp_path, capsys):
    reference = _stack(keras)
    reference.save_weights("s.weights.h5")
    capsys.readouterr()

    def run(k):
        editor = k.saving.KerasFileEditor("s.weights.h5")
        model = reference if k is keras else _stack(kerasish)
        return _edits(k, editor, model)

    (expected, expected_text), (received, received_text) = _run_both(capsys, run)
    assert received == expected
    assert received_text == expected_text
    assert "Found 6 matching weights" in expected_text  # Keras' running-count total


def test_compare_reports_shape_mismatches_as_keras(tmp_path, capsys):
    keras.Sequential([keras.Input((5,)), keras.layers.Dense(3), keras.layers.Dense(2)]).save_weights(
        "s.weights.h5"
    )
    capsys.readouterr()

    def run(k):
        editor = k.saving.KerasFileEditor("s.weights.h5")
        return editor.compare(_stack(k))

    (expected, expected_text), (received, received_text) = _run_both(capsys, run)
    assert expected["error_count"] == 2  # one mismatch, counted twice by Keras' running totals
    assert (received, received_text) == (expected, expected_text)


def test_bad_filenames_raise_as_keras():
    for name in ["x.h5", "x.weights"]:
        with pytest.raises(ValueError) as expected:
            keras.saving.KerasFileEditor(name)
        with pytest.raises(ValueError) as received:
            kerasish.saving.KerasFileEditor(name)
        assert str(received.value) == str(expected.value)


@pytest.mark.parametrize("editor_lib", ["keras", "kerasish"])
def test_edited_file_loads_in_both_after_an_architecture_change(tmp_path, capsys, editor_lib, rng):
    """The editor's use case: a file saved before a layer was inserted, fitted to the new model
    by adding that layer's weights, then loaded by both libraries."""
    old = _stack(keras if editor_lib == "kerasish" else kerasish)
    old.save_weights(tmp_path / "old.weights.h5")
    gamma = rng.standard_normal(3).astype("float32")
    editor = (keras if editor_lib == "keras" else kerasish).saving.KerasFileEditor(
        str(tmp_path / "old.weights.h5")
    )
    editor.add_object(
        "layers/batch_normalization",
        {"0": gamma, "1": np.zeros(3, "float32"), "2": np.zeros(3, "float32"), "3": np.ones(3, "float32")},
    )
    lib = keras if editor_lib == "keras" else kerasish
    assert editor.compare(_stack(lib, middle=True))["status"] == "success"
    editor.save(tmp_path / "new.weights.h5")
    capsys.readouterr()
    reference, ours = _stack(keras, middle=True), _stack(kerasish, middle=True)
    reference.load_weights(tmp_path / "new.weights.h5")
    ours.load_weights(tmp_path / "new.weights.h5")
    np.testing.assert_array_equal(ours.layers[1].get_weights()[0], gamma)
    np.testing.assert_array_equal(ours.layers[0].get_weights()[0], old.layers[0].get_weights()[0])
    x = rng.standard_normal((3, 4)).astype("float32")
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), reference.predict(x, verbose=0), atol=1e-5, rtol=0
    )
