"""Keras 3 variable and layer paths: the layer name scopes open when a weight is created."""

import numpy as np

import kerasish as keras
from kerasish.variables import current_path, layer_scope


def test_sequential_prefixes_its_layers_functional_does_not():
    seq = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="a")], name="s")
    assert [v.path for v in seq.weights] == ["s/a/kernel", "s/a/bias"]
    assert seq.layers[0].path == "s/a" and seq.path == "s"
    inputs = keras.Input((4,))
    fn = keras.Model(inputs, keras.layers.Dense(2, name="b")(inputs), name="f")
    assert [v.path for v in fn.weights] == ["b/kernel", "b/bias"]
    assert fn.path == "f"


def test_layer_path_is_none_until_built_and_kept_after():
    dense = keras.layers.Dense(2, name="d")
    assert dense.path is None
    dense.build((None, 3))
    assert dense.path == "d" and dense.weights[0].path == "d/kernel"
    model = keras.Sequential([keras.Input((3,)), dense], name="later")
    assert model.layers[0].path == "d"  # built before it joined the model, as in Keras


def test_subclassed_model_and_rnn_cell_paths():
    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.rnn = keras.layers.GRU(2, name="gru")

        def call(self, x):
            return self.rnn(x)

    net = Net()
    net(np.zeros((1, 3, 2), "float32"))
    assert [v.path for v in net.weights] == [
        "net/gru/gru_cell/kernel", "net/gru/gru_cell/recurrent_kernel", "net/gru/gru_cell/bias",
    ]


def test_scopes_nest_and_deduplicate():
    outer, inner = keras.layers.Dense(1, name="outer"), keras.layers.Dense(1, name="inner")
    assert current_path() == ""
    with layer_scope(outer):
        with layer_scope(outer):
            assert current_path() == "outer"
        with layer_scope(inner):
            assert current_path() == "outer/inner"
    assert current_path() == ""
    with layer_scope(inner):  # its parent path was fixed when its scope first opened
        assert current_path() == "outer/inner"


def test_muon_exclude_layers_sees_the_model_prefix():
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, name="hidden"), keras.layers.Dense(2, name="head")],
        name="seq",
    )
    muon = keras.optimizers.Muon(exclude_layers=["seq/hidden"])
    kernels = [v for v in model.weights if v.name == "kernel"]
    assert [muon._should_use_adamw(v.shape, v.path) for v in kernels] == [True, False]
