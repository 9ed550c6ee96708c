import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers import LSTM, Dense, Dropout, Embedding, Flatten, TimeDistributed


def _vision_model():
    image = keras.Input(shape=(4, 4, 3))
    hidden = Dense(6, activation="relu")(Flatten()(image))
    return keras.Model(image, Dense(5, activation="softmax")(hidden), name="vision")


def test_time_distributed_dense_shapes_and_shared_weights(rng):
    dense = Dense(3)
    layer = TimeDistributed(dense)
    y = layer(keras.Input(shape=(7, 4)))
    assert y.shape == (None, 7, 3)
    assert layer.count_params() == dense.count_params() == 4 * 3 + 3
    assert [id(w.tensor) for w in layer.weights] == [id(w.tensor) for w in dense.weights]
    x = torch.from_numpy(rng.standard_normal((2, 7, 4)).astype("float32"))
    out = layer(x)
    assert tuple(out.shape) == (2, 7, 3)
    for t in range(7):
        torch.testing.assert_close(out[:, t], dense(x[:, t]))


def test_time_distributed_higher_rank_and_unknown_time():
    layer = TimeDistributed(Dense(2))
    assert layer(keras.Input(shape=(None, 5, 3))).shape == (None, None, 5, 2)
    assert tuple(layer(torch.zeros(2, 4, 5, 3)).shape) == (2, 4, 5, 2)


def test_inner_layer_sees_a_view_of_the_input():
    dense = Dense(2)
    seen = []
    dense.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    x = torch.randn(3, 4, 5)
    TimeDistributed(dense)(x)
    assert seen[-1].shape == (12, 5)
    assert seen[-1].data_ptr() == x.data_ptr()


def test_video_classifier_from_image_model(rng):
    vision = _vision_model()
    video = keras.Input(shape=(6, 4, 4, 3))
    per_frame = TimeDistributed(vision)(video)
    assert per_frame.shape == (None, 6, 5)
    model = keras.Model(video, Dense(2, activation="softmax")(LSTM(8)(per_frame)))
    assert model.output_shape == (None, 2)
    lstm_params = 4 * (5 * 8 + 8 * 8 + 8)
    assert model.count_params() == vision.count_params() + lstm_params + 8 * 2 + 2
    clips = rng.random((2, 6, 4, 4, 3)).astype("float32")
    frames = keras.Model(video, per_frame).predict(clips, verbose=0)
    expected = vision.predict(clips.reshape(12, 4, 4, 3), verbose=0).reshape(2, 6, 5)
    np.testing.assert_allclose(frames, expected, atol=1e-6)
    assert any(key.startswith("time_distributed.layer.") for key in model.state_dict())

    model.train()
    loss = model(torch.from_numpy(clips)).square().sum()
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in vision.parameters())


def test_trainable_flag_reaches_inner_model():
    vision = _vision_model()
    layer = TimeDistributed(vision)
    layer.trainable = False
    assert layer.trainable_weights == [] and vision.trainable_weights == []
    assert not any(p.requires_grad for p in vision.parameters())


def test_unbuilt_inner_layer_is_built_from_the_folded_shape():
    inner = keras.Sequential([Dense(4), Dense(2)])
    layer = TimeDistributed(inner)
    assert layer(keras.Input(shape=(3, 5))).shape == (None, 3, 2)
    assert inner.built and inner.count_params() == 5 * 4 + 4 + 4 * 2 + 2


def test_training_flag_is_passed_through():
    layer = TimeDistributed(Dropout(0.5))
    x = torch.ones(4, 10, 8)
    torch.testing.assert_close(layer(x), x)
    dropped = layer(x, training=True)
    assert dropped.eq(0).any() and dropped.eq(2).any()
    layer.train()
    assert layer(x).eq(0).any()


def test_mask_passes_through_to_a_masked_lstm(rng):
    def build():
        tokens = keras.Input(shape=(5,), dtype="int64")
        x = TimeDistributed(Dense(3))(Embedding(9, 4, mask_zero=True)(tokens))
        return keras.Model(tokens, LSTM(2)(x))

    model = build()
    padded = model.predict(np.array([[4, 2, 0, 0, 0]]), verbose=0)
    alone = model.predict(np.array([[4, 2]]), verbose=0)
    np.testing.assert_allclose(padded, alone, atol=1e-6)


def test_mask_is_folded_for_an_inner_layer_that_takes_one():
    inner = LSTM(2)
    layer = TimeDistributed(inner)
    x = torch.randn(2, 3, 4, 5)
    mask = torch.ones(2, 3, 4, dtype=torch.bool)
    mask[:, :, 2:] = False
    masked = layer(x, mask=mask)
    torch.testing.assert_close(masked, layer(x[:, :, :2]))
    with pytest.raises(ValueError, match="incompatible"):
        layer(x, mask=torch.ones(2, 4, dtype=torch.bool))


def test_config_round_trip_with_layer_and_model():
    config = TimeDistributed(Dense(3, activation="relu", name="per_step"), name="td").get_config()
    assert config["layer"]["class_name"] == "Dense"
    assert config["layer"]["config"]["units"] == 3
    clone = TimeDistributed.from_config(config)
    assert isinstance(clone.layer, Dense) and clone.layer.name == "per_step"
    assert clone.get_config() == config

    vision = _vision_model()
    config = TimeDistributed(vision).get_config()
    assert config["layer"]["class_name"] in {"Functional", "Model"}
    clone = TimeDistributed.from_config(config)
    assert clone(keras.Input(shape=(6, 4, 4, 3))).shape == (None, 6, 5)
    assert clone.count_params() == vision.count_params()


def test_errors_are_clear():
    with pytest.raises(ValueError, match="Layer` instance"):
        TimeDistributed(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        TimeDistributed(Dense(2))(keras.Input(shape=(4,)))
    layer = TimeDistributed(Dense(2))
    layer(torch.zeros(1, 2, 3))
    with pytest.raises(ValueError, match="rank >= 3"):
        layer(torch.zeros(2, 3))
