"""Every model the five seed documents build, side by side in Keras 3 and kerasish.

Same architecture in both, Keras' weights copied into kerasish with ``set_weights``, then equal
parameter counts, output shapes and predictions (atol 1e-5).
"""

import numpy as np

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights


def _side_by_side(build, inputs, atol=1e-5):
    import keras

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    assert_same_outputs(reference, ours, inputs, atol=atol)
    return reference, ours


def test_seed_000_shared_vision_model(rng):
    def build(lib):
        L = lib.layers
        digit_input = lib.Input(shape=(27, 27, 1))
        x = L.Conv2D(64, (3, 3))(digit_input)
        x = L.Conv2D(64, (3, 3))(x)
        x = L.MaxPooling2D((2, 2))(x)
        vision_model = lib.Model(digit_input, L.Flatten()(x))
        digit_a = lib.Input(shape=(27, 27, 1))
        digit_b = lib.Input(shape=(27, 27, 1))
        concatenated = L.concatenate([vision_model(digit_a), vision_model(digit_b)])
        return lib.Model([digit_a, digit_b], L.Dense(1, activation="sigmoid")(concatenated))

    images = [rng.random((3, 27, 27, 1)).astype("float32") for _ in range(2)]
    _, ours = _side_by_side(build, images)
    assert ours.count_params() == 53_057


def test_seed_001_new_head_on_a_base_model(rng):
    def build(lib):
        L = lib.layers
        inp = lib.Input(shape=(20, 20, 3))
        x = L.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(inp)
        x = L.BatchNormalization()(x)
        x = L.Activation("relu")(x)
        base = lib.Model(inp, L.Conv2D(16, 3, padding="same", activation="relu")(x))
        new_output = L.GlobalAveragePooling2D()(base.output)
        new_output = L.Dense(5, activation="softmax")(new_output)
        model = lib.Model(base.inputs, new_output)
        assert model.layers[: len(base.layers)] == base.layers
        return model

    reference, ours = _side_by_side(build, rng.random((2, 20, 20, 3)).astype("float32"))
    assert [type(layer).__name__ for layer in ours.layers] == [
        type(layer).__name__ for layer in reference.layers
    ]


def test_seed_002_multi_input_multi_output(rng):
    def build(lib):
        L = lib.layers
        main_input = lib.Input(shape=(12,), dtype="int32", name="main_input")
        x = L.Embedding(output_dim=16, input_dim=100)(main_input)
        lstm_out = L.LSTM(8)(x)
        auxiliary_output = L.Dense(1, activation="sigmoid", name="aux_output")(lstm_out)
        auxiliary_input = lib.Input(shape=(5,), name="aux_input")
        x = L.concatenate([lstm_out, auxiliary_input])
        x = L.Dense(16, activation="relu")(x)
        x = L.Dense(16, activation="relu")(x)
        x = L.Dense(16, activation="relu")(x)
        main_output = L.Dense(1, activation="sigmoid", name="main_output")(x)
        return lib.Model(
            inputs=[main_input, auxiliary_input], outputs=[main_output, auxiliary_output]
        )

    data = [rng.integers(1, 100, size=(4, 12)).astype("int32"), rng.random((4, 5)).astype("float32")]
    _, ours = _side_by_side(build, data)
    assert ours.output_names == ["main_output", "aux_output"]
    by_name = ours.predict({"main_input": data[0], "aux_input": data[1]}, verbose=0)
    np.testing.assert_allclose(by_name[0], ours.predict(data, verbose=0)[0])


def test_seed_002_stacked_lstm(rng):
    def build(lib):
        L = lib.layers
        return lib.Sequential([
            lib.Input((8, 16)),
            L.LSTM(32, return_sequences=True),
            L.LSTM(32, return_sequences=True),
            L.LSTM(32),
            L.Dense(10, activation="softmax"),
        ])

    _side_by_side(build, rng.random((3, 8, 16)).astype("float32"))


def test_seed_002_stateful_stacked_lstm_carries_state(rng):
    def build(lib):
        L = lib.layers
        return lib.Sequential([
            lib.Input(batch_shape=(4, 8, 16)),
            L.LSTM(32, return_sequences=True, stateful=True),
            L.LSTM(32, return_sequences=True, stateful=True),
            L.LSTM(32, stateful=True),
            L.Dense(10, activation="softmax"),
        ])

    import keras

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    first, second = (rng.random((4, 8, 16)).astype("float32") for _ in range(2))
    for batch in (first, second):  # the second batch starts from the first batch's states
        np.testing.assert_allclose(
            ours.predict(batch, batch_size=4, verbose=0),
            reference.predict(batch, batch_size=4, verbose=0),
            atol=1e-5,
        )
    fresh = ours.predict(second, batch_size=4, verbose=0)
    ours.reset_states()
    assert not np.allclose(fresh, ours.predict(second, batch_size=4, verbose=0), atol=1e-4)


def test_seed_002_shared_lstm_tweets(rng):
    def build(lib):
        L = lib.layers
        tweet_a = lib.Input(shape=(14, 12))
        tweet_b = lib.Input(shape=(14, 12))
        shared_lstm = L.LSTM(16)
        merged = L.concatenate([shared_lstm(tweet_a), shared_lstm(tweet_b)], axis=-1)
        predictions = L.Dense(1, activation="sigmoid")(merged)
        return lib.Model(inputs=[tweet_a, tweet_b], outputs=predictions)

    tweets = [rng.integers(0, 2, size=(3, 14, 12)).astype("float32") for _ in range(2)]
    _, ours = _side_by_side(build, tweets)
    shared_lstm = next(layer for layer in ours.layers if isinstance(layer, kerasish.layers.LSTM))
    assert len(shared_lstm.inbound_nodes) == 2
    assert shared_lstm.get_output_at(0) is not shared_lstm.get_output_at(1)


def test_seed_002_image_model_to_video_model(rng):
    def build(lib):
        L = lib.layers
        frame = lib.Input(shape=(10, 10, 3))
        x = L.Conv2D(4, 3, activation="relu")(frame)
        x = L.GlobalAveragePooling2D()(x)
        image_model = lib.Model(frame, L.Dense(6, activation="softmax")(x))
        video_input = lib.Input(shape=(5, 10, 10, 3))
        processed_sequences = L.TimeDistributed(image_model)(video_input)
        return lib.Model(video_input, L.LSTM(7)(processed_sequences))

    _side_by_side(build, rng.random((2, 5, 10, 10, 3)).astype("float32"))


def test_seed_004_sequential_mlp(rng):
    def build(lib):
        L = lib.layers
        return lib.Sequential([
            lib.Input((8,)), L.Dense(32), L.Dense(64, activation="relu"), L.Dense(8)
        ])

    _, ours = _side_by_side(build, rng.random((5, 8)).astype("float32"))
    assert [layer.count_params() for layer in ours.layers] == [288, 2112, 520]
    assert ours.count_params() == 2920
