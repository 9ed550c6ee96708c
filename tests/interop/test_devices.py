"""Device choice: where weights are created and where data follows them.

The logic runs on any machine through the ``meta`` device (shapes, no data) and monkeypatched
CUDA availability; the CUDA-only tests at the end check real GPU placement where one exists.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import devices

# ------------------------------------------------------------------- choosing


@pytest.mark.parametrize(
    "spelling, expected",
    [
        ("cpu", "cpu"),
        ("CUDA", "cuda"),
        ("gpu", "cuda"),
        ("gpu:1", "cuda:1"),
        ("/device:GPU:0", "cuda:0"),
        ("/cpu:0", "cpu:0"),
        ("meta", "meta"),
        (torch.device("cuda", 2), "cuda:2"),
    ],
)
def test_device_spellings(spelling, expected):
    assert devices.parse(spelling) == torch.device(expected)


def test_unknown_devices_are_named():
    with pytest.raises(ValueError, match="'tpu7' is not a torch device"):
        devices.parse("tpu7")
    with pytest.raises(ValueError, match="Received: 3"):
        devices.parse(3)


def test_default_is_cuda_when_available(monkeypatch):
    monkeypatch.delenv("KERAS_TORCH_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert devices.default() == torch.device("cuda")
    assert keras.config.device() == torch.device("cuda")


def test_default_is_cpu_without_accelerators(monkeypatch):
    monkeypatch.delenv("KERAS_TORCH_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert keras.config.device() == torch.device("cpu")


def test_keras_torch_device_environment_variable_wins(monkeypatch):
    monkeypatch.setenv("KERAS_TORCH_DEVICE", "meta")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert keras.config.device() == torch.device("meta")


def test_set_device_and_scopes(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.delenv("KERAS_TORCH_DEVICE", raising=False)
    keras.config.set_device("meta")
    assert keras.config.device() == torch.device("meta")
    with keras.device("cpu") as scoped:
        assert scoped == torch.device("cpu")
        assert keras.config.device() == torch.device("cpu")
        with keras.device("gpu:0"):
            assert keras.config.device() == torch.device("cuda:0")
        assert keras.config.device() == torch.device("cpu")
    assert keras.config.device() == torch.device("meta")
    keras.config.set_device(None)
    assert keras.config.device() == torch.device("cpu")


# --------------------------------------------------------- weights and data


def _conv_model() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((6, 6, 2)),
            keras.layers.Conv2D(3, 3),
            keras.layers.BatchNormalization(),
            keras.layers.Flatten(),
            keras.layers.Dense(2),
        ]
    )


def test_models_are_created_on_the_configured_device():
    with keras.device("meta"):
        model = _conv_model()
    tensors = list(model.parameters()) + list(model.buffers())
    assert tensors and all(t.device.type == "meta" for t in tensors)
    # Numpy data follows the weights: the eager call runs on meta and gives the right shape.
    out = model(np.ones((4, 6, 6, 2), "float32"))
    assert (out.device.type, tuple(out.shape)) == ("meta", (4, 2))
    assert all(p.device.type == "cpu" for p in _conv_model().parameters())


def test_a_lazily_built_sequential_builds_on_the_configured_device():
    keras.config.set_device("meta")
    model = keras.Sequential([keras.layers.Dense(3), keras.layers.Dense(1)])
    out = model(np.ones((2, 4), "float32"))
    assert out.device.type == "meta"
    assert all(p.device.type == "meta" for p in model.parameters())


def test_layers_called_on_arrays_use_their_weights_device():
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    layer.to("meta")
    assert layer(np.ones((2, 4), "float32")).device.type == "meta"
    with keras.device("meta"):
        unbuilt = keras.layers.Dense(3)
    assert unbuilt(np.ones((2, 4), "float32")).device.type == "cpu"  # built by a CPU call


def test_data_follows_a_model_moved_with_to():
    model = _conv_model().to("meta")
    assert model(np.ones((3, 6, 6, 2), "float32")).device.type == "meta"


def test_torch_module_wrapper_moves_the_module_to_the_configured_device():
    with keras.device("meta"):
        layer = keras.layers.TorchModuleWrapper(torch.nn.Linear(4, 2))
    assert layer.module.weight.device.type == "meta"


def test_initial_values_do_not_depend_on_the_device():
    """Initializers draw from the CPU generator and the result moves: a seed gives the same
    weights on every device. On meta (no values) the generator must advance exactly as on CPU."""

    def build_then_draw(device: str) -> torch.Tensor:
        torch.manual_seed(3)
        with keras.device(device):
            layer = keras.layers.Dense(4, kernel_initializer="random_normal")
            layer.build((None, 5))
        assert layer.weight.device.type == device
        return torch.rand(3)

    torch.testing.assert_close(build_then_draw("meta"), build_then_draw("cpu"), atol=0, rtol=0)


# ------------------------------------------------------------------- CUDA


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@cuda
def test_cuda_by_default_fit_predict_and_evaluate():
    model = _conv_model()
    assert all(p.device.type == "cuda" for p in model.parameters())
    model.compile("adam", "mse")
    x = np.random.default_rng(0).random((16, 6, 6, 2), dtype=np.float32)
    y = np.random.default_rng(1).random((16, 2), dtype=np.float32)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert model.predict(x, verbose=0).shape == (16, 2)
    assert np.isfinite(model.evaluate(x, y, verbose=0))


@cuda
def test_a_model_saved_on_cuda_loads_on_cpu(tmp_path):
    model = _conv_model()
    model.train()
    model(torch.rand(8, 6, 6, 2, device="cuda"))
    model.eval()
    x = np.random.default_rng(0).random((4, 6, 6, 2), dtype=np.float32)
    expected = model.predict(x, verbose=0)
    torch.save(model.state_dict(), tmp_path / "state.pt")
    model.save_weights(str(tmp_path / "model.weights.h5"))
    model.save(str(tmp_path / "model.keras"))
    model.save(str(tmp_path / "model.h5"))

    with keras.device("cpu"):
        keras.backend.clear_session()
        from_state = _conv_model()
        from_state.load_state_dict(torch.load(tmp_path / "state.pt", map_location="cpu"))
        keras.backend.clear_session()
        from_weights = _conv_model()
        from_weights.load_weights(str(tmp_path / "model.weights.h5"))
        from_keras = keras.models.load_model(str(tmp_path / "model.keras"))
        from_h5 = keras.models.load_model(str(tmp_path / "model.h5"))
    for restored in (from_state, from_weights, from_keras, from_h5):
        assert all(p.device.type == "cpu" for p in restored.parameters())
        np.testing.assert_allclose(restored.predict(x, verbose=0), expected, atol=1e-5)
