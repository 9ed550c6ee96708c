import copy

import h5py
import numpy as np
import pytest
import torch

import kerasish as keras

L = keras.layers


def _trained(rng):
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(5, activation="relu"), L.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    x = rng.normal(size=(16, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=16)]
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return model, x, y


@pytest.mark.parametrize("name", ["m.keras", "m.h5"])
def test_compiled_model_continues_training_identically(tmp_path, rng, name):
    model, x, y = _trained(rng)
    model.save(tmp_path / name)
    loaded = keras.models.load_model(tmp_path / name)
    assert int(loaded.optimizer.iterations) == 2
    for got, want in zip(loaded.optimizer.get_weights(), model.optimizer.get_weights()):
        np.testing.assert_allclose(got, want)
    expected = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"][0]
    received = loaded.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"][0]
    assert received == pytest.approx(expected, abs=1e-6)
    for got, want in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_training_config_and_optimizer_weights_in_h5(tmp_path, rng):
    model, _, _ = _trained(rng)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        import json

        config = json.loads(f.attrs["training_config"])
        assert config["loss"] == "categorical_crossentropy" and config["metrics"] == ["accuracy"]
        assert config["optimizer_config"]["class_name"] == "Adam"
        assert "gradient_accumulation_steps" not in config["optimizer_config"]["config"]
        names = [n.decode() if isinstance(n, bytes) else n for n in f["optimizer_weights"].attrs["weight_names"]]
        assert names[0] == "iteration:0" and names[2].startswith("Adam/")
        # Optimizer slots are stored in Keras layout, like the weights they follow.
        assert f["optimizer_weights"][names[2]].shape == (4, 5)
    model.save(tmp_path / "no_opt.h5", include_optimizer=False)
    with h5py.File(tmp_path / "no_opt.h5", "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f


def test_compile_false_and_uncompiled_models(tmp_path, rng):
    model, _, _ = _trained(rng)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", compile=False)
    assert not getattr(loaded, "_is_compiled", False)
    plain = keras.Sequential([keras.Input(shape=(2,)), L.Dense(1)])
    plain.save(tmp_path / "plain.h5")
    assert not getattr(keras.models.load_model(tmp_path / "plain.h5"), "_is_compiled", False)


def test_unfitting_optimizer_state_warns_and_starts_fresh(tmp_path, rng):
    model, x, y = _trained(rng)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r+") as f:
        group = f["optimizer_weights"]
        names = list(group.attrs["weight_names"])
        group.attrs["weight_names"] = names[:3]
    with pytest.warns(UserWarning, match="Could not restore the optimizer state"):
        loaded = keras.models.load_model(tmp_path / "m.h5")
    assert int(loaded.optimizer.iterations) == 0
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_optimizer_state_is_copied_not_shared(tmp_path, rng):
    model, _, _ = _trained(rng)
    snapshot = copy.deepcopy(model.optimizer.get_weights())
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    with torch.no_grad():
        for tensor in loaded.optimizer.variables[2:]:
            tensor.add_(1.0)
    for got, want in zip(model.optimizer.get_weights(), snapshot):
        np.testing.assert_array_equal(got, want)
