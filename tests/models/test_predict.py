import numpy as np
import torch

import kerasish as keras

L = keras.layers


def _model():
    inp = keras.Input(shape=(3,))
    return keras.Model(inp, L.Dense(2)(inp))


def test_predict_batches_and_returns_numpy():
    model = _model()
    x = np.random.rand(70, 3)
    out = model.predict(x, batch_size=32, verbose=0)
    assert isinstance(out, np.ndarray) and out.shape == (70, 2)
    np.testing.assert_allclose(out, model(torch.tensor(x, dtype=torch.float32)).detach().numpy(), rtol=1e-6)


def test_predict_accepts_torch_lists_and_dicts():
    model = _model()
    x = np.random.rand(5, 3).astype("float32")
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.predict(torch.from_numpy(x), verbose=0), expected)
    np.testing.assert_allclose(model.predict([x], verbose=0), expected)
    np.testing.assert_allclose(model.predict({model.input_names[0]: x}, verbose=0), expected)
    np.testing.assert_allclose(model.predict_on_batch(x), expected)


def test_predict_restores_training_mode_and_needs_no_grad():
    model = _model()
    model.train()
    model.predict(np.zeros((2, 3)), verbose=0)
    assert model.training


def test_predict_progress_bar(capsys):
    model = _model()
    model.predict(np.zeros((64, 3)), batch_size=32, verbose=1)
    out = capsys.readouterr().out
    assert "2/2" in out and "/step" in out
    assert out.count("2/2") == 1
    model.predict(np.zeros((64, 3)), verbose=0)
    assert capsys.readouterr().out == ""


def test_predict_ragged_sample_counts_rejected():
    a, b = keras.Input(shape=(1,)), keras.Input(shape=(1,))
    model = keras.Model([a, b], L.Dense(1)(a))
    try:
        model.predict([np.zeros((3, 1)), np.zeros((4, 1))], verbose=0)
    except ValueError as err:
        assert "Data cardinality is ambiguous" in str(err)
    else:
        raise AssertionError("expected a ValueError")


def test_single_batch_predict_equals_the_batched_path():
    model = _model()
    x = np.random.rand(7, 3).astype("float32")
    quiet = model.predict(x, verbose=0)  # one batch, no callbacks: the short path
    batched = model.predict(x, batch_size=2, verbose=0)
    with_callbacks = model.predict(x, verbose=0, callbacks=[keras.callbacks.Callback()])
    np.testing.assert_allclose(quiet, batched, rtol=1e-6)
    np.testing.assert_allclose(quiet, with_callbacks, rtol=1e-6)


def test_single_batch_predict_never_returns_a_view_of_the_input():
    inp = keras.Input(shape=(3,))
    model = keras.Model(inp, L.Activation("linear")(inp))
    x = np.zeros((2, 3), dtype="float32")
    out = model.predict(x, verbose=0)
    out[0, 0] = 5.0
    assert x[0, 0] == 0.0


def test_single_batch_predict_runs_sublayers_in_inference_mode():
    inp = keras.Input(shape=(50,))
    model = keras.Model(inp, L.Dropout(0.5)(inp))
    model.layers[1].train()  # a torch user switched one layer to train mode
    x = np.ones((4, 50), dtype="float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    assert model.layers[1].training is False  # restored to the model's own mode, as before
