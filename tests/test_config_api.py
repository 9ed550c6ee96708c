"""keras.config switches and fit caps, keras.backend dtype helpers, keras.saving listing."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

import kerasish as keras
from kerasish import config


@pytest.fixture
def caps():
    yield
    config.set_max_epochs(None)
    config.set_max_steps_per_epoch(None)


def _model():
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_max_epochs_and_steps_cap_fit_evaluate_predict(caps):
    assert config.max_epochs() is None and config.max_steps_per_epoch() is None
    config.set_max_epochs(2)
    config.set_max_steps_per_epoch(3)
    assert config.max_epochs() == 2 and config.max_steps_per_epoch() == 3
    model = _model()
    steps = []

    class Count(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            steps.append(batch)

    x, y = np.ones((100, 2), "float32"), np.ones((100, 1), "float32")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, y, epochs=5, batch_size=10, verbose=0, callbacks=[Count()])
    assert len(history.history["loss"]) == 2 and steps == [0, 1, 2, 0, 1, 2]
    messages = {str(w.message) for w in caught}
    assert {"Limiting epochs to 2", "Limiting steps_per_epoch to 3"} <= messages
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
        assert model.predict(x, batch_size=10, verbose=0).shape == (30, 1)
    config.set_max_epochs(None)
    config.set_max_steps_per_epoch(None)
    assert len(model.fit(x, y, epochs=3, batch_size=50, verbose=0).history["loss"]) == 3


def test_switches_record_their_state():
    assert config.backend() == "torch" and keras.backend.backend() == "torch"
    assert config.is_flash_attention_enabled() is None
    config.disable_flash_attention()
    assert config.is_flash_attention_enabled() is False
    config.enable_flash_attention()
    assert config.is_flash_attention_enabled() is None
    assert config.is_traceback_filtering_enabled() is True
    config.disable_traceback_filtering()
    assert config.is_traceback_filtering_enabled() is False
    config.enable_traceback_filtering()
    assert config.is_nnx_enabled() is False
    config.set_backend("torch")
    with pytest.raises(NotImplementedError, match=r"set_backend\('jax'\).*torch backend only"):
        config.set_backend("jax")


def test_interactive_logging_routes_progress_to_the_logger(capsys, caplog):
    assert keras.utils.is_interactive_logging_enabled() and config.is_interactive_logging_enabled()
    model = _model()
    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    keras.utils.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="kerasish"):
            model.fit(x, y, epochs=1, verbose=1)
    finally:
        keras.config.enable_interactive_logging()
    assert "loss" not in capsys.readouterr().out
    assert any("loss" in record.getMessage() for record in caplog.records)
    model.fit(x, y, epochs=1, verbose=1)
    assert "loss" in capsys.readouterr().out


def test_result_type_and_dtype_predicates():
    rt = keras.backend.result_type
    assert rt("int32", "float32") == "float32"
    assert rt("bfloat16", int) == "bfloat16"
    assert rt("int8", "uint8") == "int16"
    assert rt("int64", "float16") == "float16"
    assert rt("float64") == "float32"  # narrowed to 32 bits, as Keras on torch
    assert rt("uint8", int) == "uint8" and rt(int, float) == "float32" and rt() == "float32"
    assert rt("bool", None) == "float32"
    with pytest.raises(ValueError, match="no implicit conversions from float8"):
        rt("float8_e4m3fn", "float32")
    with pytest.raises(ValueError, match="Invalid dtype"):
        rt("float", "int32")
    assert keras.backend.is_float_dtype("bfloat16") and not keras.backend.is_float_dtype("int8")
    assert keras.backend.is_int_dtype("uint16") and not keras.backend.is_int_dtype("bool")


def test_saving_module_lists_its_lazy_names():
    names = dir(keras.saving)
    assert {"load_model", "save_model", "register_keras_serializable", "get_custom_objects"} <= set(names)
