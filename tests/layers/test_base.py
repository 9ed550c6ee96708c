import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers import Layer


class Scale(Layer):
    """A user-written layer with no shape code: shapes must come from meta inference."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, inputs):
        return inputs * self.w


class PairSum(Layer):
    def call(self, inputs):
        return inputs[0].sum(dim=-1, keepdim=True) * inputs[1]


def test_custom_layer_output_shape_inferred_on_meta():
    x = keras.Input(shape=(None, 5))
    y = Scale()(x)
    assert y.shape == (None, None, 5)
    assert y.dtype == "float32"


def test_meta_inference_marks_only_changing_dims_unknown():
    a = keras.Input(shape=(7, 5))
    b = keras.Input(shape=(7, 1))
    assert PairSum()([a, b]).shape == (None, 7, 1)


def test_meta_inference_failure_is_explained():
    class NeedsData(Layer):
        def call(self, inputs):
            return inputs[: int(inputs.sum().item())]

    with pytest.raises(ValueError, match="compute_output_shape"):
        NeedsData(name="needs_data")(keras.Input(shape=(3,)))


def test_add_weight_registers_under_attribute_name():
    layer = Scale()
    layer(np.ones((2, 3), dtype="float32"))
    assert list(layer.state_dict()) == ["w"]
    assert [w.name for w in layer.weights] == ["w"]
    assert isinstance(layer.w, torch.nn.Parameter)


def test_add_weight_accepts_tf_keras_and_keras3_argument_orders():
    layer = Layer()
    first = layer.add_weight("kernel", (2, 3), initializer="zeros")
    second = layer.add_weight(shape=(4,), initializer="ones", name="other")
    assert first.shape == (2, 3) and float(second.detach().sum()) == 4.0
    non_trainable = layer.add_weight("counter", shape=(), initializer="zeros", trainable=False)
    assert not isinstance(non_trainable, torch.nn.Parameter)
    assert [w.name for w in layer.trainable_weights] == ["kernel", "other"]
    assert [w.name for w in layer.non_trainable_weights] == ["counter"]


def test_eager_call_on_numpy_builds_and_returns_tensor():
    dense = keras.layers.Dense(4)
    out = dense(np.ones((3, 2)))
    assert isinstance(out, torch.Tensor) and out.shape == (3, 4) and out.dtype == torch.float32
    assert dense.built and dense.kernel.shape == (2, 4)


def test_layers_start_in_inference_mode():
    layer = keras.layers.Dropout(0.9)
    x = torch.ones(100)
    assert torch.equal(layer(x), x)
    assert not torch.equal(layer(x, training=True), x)
    layer.train()
    assert not torch.equal(layer(x), x)


def test_trainable_flag_freezes_parameters():
    dense = keras.layers.Dense(2)
    dense.build((None, 3))
    dense.trainable = False
    assert dense.trainable_weights == [] and len(dense.non_trainable_weights) == 2
    assert not dense.weight.requires_grad
    dense.trainable = True
    assert dense.weight.requires_grad and len(dense.trainable_weights) == 2


def test_get_set_weights_in_keras_layout():
    dense = keras.layers.Dense(3)
    dense.build((None, 2))
    kernel = np.arange(6, dtype="float32").reshape(2, 3)
    bias = np.array([1, 2, 3], dtype="float32")
    dense.set_weights([kernel, bias])
    np.testing.assert_array_equal(dense.get_weights()[0], kernel)
    np.testing.assert_array_equal(dense.weight.detach().numpy(), kernel.T)
    assert [w.shape for w in dense.weights] == [(2, 3), (3,)]
    assert dense.weights[0].path == f"{dense.name}/kernel"


def test_set_weights_validates_everything_before_assigning():
    dense = keras.layers.Dense(3)
    dense.build((None, 2))
    before = dense.get_weights()
    with pytest.raises(ValueError, match="expecting 2 weights"):
        dense.set_weights([before[0]])
    with pytest.raises(ValueError, match=r"\(3,\) is not compatible with provided weight shape \(3, 2\)"):
        dense.set_weights([np.zeros((2, 3)) + 5, np.zeros((3, 2))])
    np.testing.assert_array_equal(dense.get_weights()[0], before[0])


def test_count_params_requires_build():
    dense = keras.layers.Dense(3)
    with pytest.raises(ValueError, match="isn't built"):
        dense.count_params()
    dense.build((None, 4))
    assert dense.count_params() == 15


def test_auto_names_follow_tf_keras():
    assert keras.layers.Dense(1).name == "dense"
    assert keras.layers.Dense(1).name == "dense_1"
    assert keras.Input(shape=(1,)).name == "input_1"
    assert keras.Input(shape=(1,)).name == "input_2"
    keras.backend.clear_session()
    assert keras.layers.Dense(1).name == "dense"


def test_unknown_constructor_argument_rejected():
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Dense"):
        keras.layers.Dense(2, bogus=1)


def test_input_spec_error_names_layer_and_shapes():
    dense = keras.layers.Dense(2, name="head")
    dense(keras.Input(shape=(4,)))
    with pytest.raises(ValueError, match=r'layer "head".*expected axis -1.*value 4.*\(None, 5\)'):
        dense(keras.Input(shape=(5,)))


def test_config_round_trip_and_required_override():
    dense = keras.layers.Dense(5, activation="relu", name="d", use_bias=False)
    clone = keras.layers.Dense.from_config(dense.get_config())
    assert clone.get_config() == dense.get_config()

    class NeedsConfig(Layer):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

    with pytest.raises(NotImplementedError, match="must override `get_config"):
        NeedsConfig(2).get_config()


def test_initial_weights_keras2_argument():
    kernel = np.ones((2, 3), dtype="float32")
    dense = keras.layers.Dense(3, weights=[kernel, np.zeros(3)])
    dense(keras.Input(shape=(2,)))
    np.testing.assert_array_equal(dense.get_weights()[0], kernel)


def test_plain_torch_submodule_weights_are_counted():
    class Wrapper(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.linear = torch.nn.Linear(3, 2)

        def call(self, inputs):
            return self.linear(inputs)

    layer = Wrapper()
    layer(torch.ones(1, 3))
    assert layer.count_params() == 8
    assert layer(keras.Input(shape=(3,))).shape == (None, 2)


# ---------------------------------------------------------------- add_loss / losses


class Penalized(Layer):
    """Adds the mean of its inputs as a loss, as a custom Keras layer would."""

    def call(self, inputs):
        self.add_loss(inputs.mean())
        return inputs * 2


def test_add_loss_collects_the_latest_call_only():
    layer = Penalized()
    layer(torch.ones(2, 3))
    assert [float(v) for v in layer.losses] == [1.0]
    layer(torch.full((2, 3), 3.0))
    assert [float(v) for v in layer.losses] == [3.0]
    with pytest.raises(ValueError, match="on a tensor input"):
        layer.add_loss(1.0)


def test_model_losses_gather_sublayers_and_shared_layer_calls():
    shared = Penalized()
    inputs = keras.Input((3,))
    x = shared(inputs)
    x = shared(x)
    dense = keras.layers.Dense(2, kernel_regularizer="l2")
    model = keras.Model(inputs, dense(x))
    assert len(model.losses) == 1  # symbolic calls record nothing; the weight penalty is live
    model(torch.ones(4, 3))
    losses = model.losses
    assert [float(v) for v in losses[:2]] == [1.0, 2.0]  # both calls of the shared layer
    torch.testing.assert_close(losses[2], 0.01 * dense.kernel.square().sum())
    model(torch.zeros(4, 3))
    assert [float(v) for v in model.losses[:2]] == [0.0, 0.0]


def test_activity_regularizer_on_any_layer():
    layer = keras.layers.Dense(2, activity_regularizer="l1", kernel_initializer="ones")
    out = layer(torch.ones(4, 3))
    (loss,) = layer.losses
    torch.testing.assert_close(loss, 0.01 * out.abs().sum() / 4)
    config = keras.layers.Activation("relu", activity_regularizer="l2").get_config()
    assert config["activity_regularizer"] == {"class_name": "L2", "config": {"l2": 0.01}}
    assert keras.layers.Activation.from_config(config).activity_regularizer.l2 == 0.01


def test_losses_of_two_models_are_kept_apart():
    """A GAN-style loop reads both models' losses after calling both."""
    def build():
        inputs = keras.Input((3,))
        return keras.Model(inputs, Penalized()(inputs))

    first, second = build(), build()
    first(torch.ones(1, 3))
    second(torch.full((1, 3), 5.0))
    assert [float(v) for v in first.losses] == [1.0]
    assert [float(v) for v in second.losses] == [5.0]
