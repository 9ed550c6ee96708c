import shutil

import numpy as np
import pytest

import kerasish as keras

L = keras.layers


def _model():
    return keras.Sequential([keras.Input(shape=(3,)), L.Dense(2, name="d")])


def test_save_format_rules(tmp_path):
    model = _model()
    with pytest.raises(ValueError, match="Invalid filepath extension for saving"):
        model.save(tmp_path / "model.pt")
    with pytest.raises(NotImplementedError, match="SavedModel"):
        model.save(tmp_path / "model", save_format="tf")
    model.save(tmp_path / "as_h5.bin", save_format="h5")
    model.save(tmp_path / "as_keras.bin", save_format="keras")
    assert isinstance(keras.models.load_model(tmp_path / "as_h5.bin"), keras.Sequential)
    assert isinstance(keras.models.load_model(tmp_path / "as_keras.bin"), keras.Sequential)
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        model.save_weights(tmp_path / "weights.ckpt")
    with pytest.raises(NotImplementedError, match="TensorFlow checkpoints"):
        model.save_weights(tmp_path / "weights", save_format="tf")


def test_loading_goes_by_content_not_by_name(tmp_path, rng):
    model = _model()
    model.save(tmp_path / "real.h5")
    model.save(tmp_path / "real.keras")
    shutil.copy(tmp_path / "real.h5", tmp_path / "renamed.keras")
    shutil.copy(tmp_path / "real.keras", tmp_path / "renamed.h5")
    x = rng.normal(size=(2, 3)).astype("float32")
    for name in ("renamed.keras", "renamed.h5"):
        loaded = keras.models.load_model(tmp_path / name)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_load_errors(tmp_path):
    with pytest.raises(ValueError, match="File not found"):
        keras.models.load_model(tmp_path / "missing.keras")
    (tmp_path / "saved_model").mkdir()
    with pytest.raises(NotImplementedError, match="SavedModel"):
        keras.models.load_model(tmp_path / "saved_model")
    (tmp_path / "text.h5").write_text("not a model")
    with pytest.raises(ValueError, match="neither a `.keras` zip file nor an HDF5 file"):
        keras.models.load_model(tmp_path / "text.h5")
    model = _model()
    with pytest.raises(FileNotFoundError):
        model.load_weights(tmp_path / "missing.weights.h5")
    with pytest.raises(ValueError, match="truncated or corrupt"):
        model.load_weights(tmp_path / "text.h5")


def test_weights_need_a_built_model(tmp_path):
    unbuilt = keras.Sequential([L.Dense(2)])
    with pytest.raises(ValueError, match="not yet been built"):
        unbuilt.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="not yet been built"):
        unbuilt.load_weights(tmp_path / "w.weights.h5")


def test_by_name_only_for_legacy_weights(tmp_path):
    model = _model()
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="only supported for Keras 2 `.h5`"):
        model.load_weights(tmp_path / "w.weights.h5", by_name=True)


def test_overwrite_false_asks(tmp_path, monkeypatch):
    model = _model()
    path = tmp_path / "m.keras"
    path.write_bytes(b"keep me")
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    model.save(path, overwrite=False)
    assert path.read_bytes() == b"keep me"
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    model.save(path, overwrite=False)
    assert isinstance(keras.models.load_model(path), keras.Sequential)


def test_kerasish_saving_namespace():
    assert keras.saving.load_model is keras.models.load_model
    assert callable(keras.saving.serialize_keras_object)
    with pytest.raises(AttributeError):
        keras.saving.no_such_function
