"""TimeDistributed side by side with Keras 3."""

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights


def test_time_distributed_dense(rng):
    import keras

    def build(lib):
        inputs = lib.Input(shape=(5, 4))
        return lib.Model(inputs, lib.layers.TimeDistributed(lib.layers.Dense(3))(inputs))

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    assert_same_outputs(reference, ours, rng.standard_normal((3, 5, 4)).astype("float32"))


def test_time_distributed_image_model_as_video_classifier(rng):
    import keras

    def build(lib):
        L = lib.layers
        image = lib.Input(shape=(6, 6, 2))
        features = L.Dense(4, activation="relu")(L.Flatten()(image))
        vision = lib.Model(image, L.Dense(3, activation="softmax")(features))
        video = lib.Input(shape=(4, 6, 6, 2))
        per_frame = L.TimeDistributed(vision)(video)
        return lib.Model(video, L.Dense(2)(L.LSTM(5)(per_frame)))

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    assert_same_outputs(reference, ours, rng.random((3, 4, 6, 6, 2)).astype("float32"))
