"""plot_model / model_to_dot: one box per layer, one edge per connection, real PNG files."""

import struct
import sys

import numpy as np
import pytest

import kerasish as keras
from kerasish import utils
from kerasish.utils import model_visualization

L = keras.layers


def _png_size(path):
    """Width and height from the PNG signature and IHDR chunk (standard library only)."""
    with open(path, "rb") as f:
        header = f.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert header[12:16] == b"IHDR"
    return struct.unpack(">II", header[16:24])


def _siamese():
    digit = keras.Input((8, 8, 1))
    vision = keras.Model(digit, L.Flatten()(L.Conv2D(2, 3)(digit)), name="vision")
    a, b = keras.Input((8, 8, 1), name="a"), keras.Input((8, 8, 1), name="b")
    shared = L.Dense(3, name="shared")
    merged = L.concatenate([shared(vision(a)), shared(vision(b))], name="merged")
    return keras.Model([a, b], L.Dense(1, activation="sigmoid", name="out")(merged)), vision


def _labels(dot):
    return {node.get_name(): node.get("label").strip('"') for node in dot.get_nodes()
            if node.get("label")}


def _edges(dot):
    labels = _labels(dot)
    for cluster in dot.get_subgraphs():
        labels.update(_labels(cluster))
    edges = list(dot.get_edges())
    for cluster in dot.get_subgraphs():
        edges.extend(cluster.get_edges())
    name = {key: label.split("|")[0].strip("{}T") for key, label in labels.items()}
    return sorted((name[e.get_source()], name[e.get_destination()]) for e in edges)


def test_plot_model_writes_a_png_of_a_plausible_size(tmp_path):
    model, _ = _siamese()
    path = tmp_path / "model.png"
    utils.plot_model(model, to_file=path, show_shapes=True)
    width, height = _png_size(path)
    assert 300 < width < 2000 and 300 < height < 2000
    utils.plot_model(model, to_file=tmp_path / "big.png", show_shapes=True, dpi=192)
    big_width, big_height = _png_size(tmp_path / "big.png")
    assert big_width == pytest.approx(2 * width, rel=0.05)
    assert big_height == pytest.approx(2 * height, rel=0.05)


def test_other_formats_by_extension(tmp_path):
    model, _ = _siamese()
    utils.plot_model(model, to_file=tmp_path / "model.svg")
    assert "<svg" in (tmp_path / "model.svg").read_text()
    utils.plot_model(model, to_file=tmp_path / "model.pdf")
    assert (tmp_path / "model.pdf").read_bytes()[:4] == b"%PDF"


def test_shared_layers_appear_once_with_an_edge_per_caller():
    model, _ = _siamese()
    dot = utils.model_to_dot(model)
    names = [label.split("|")[0] for label in _labels(dot).values()]
    assert sorted(names) == ["a", "b", "merged", "out", "shared", "vision"]
    assert _edges(dot) == [
        ("a", "vision"), ("b", "vision"), ("merged", "out"), ("shared", "merged"),
        ("vision", "shared"),
    ]


def test_a_layer_shared_between_two_sources_gets_both_edges():
    left, right = keras.Input((4,), name="left"), keras.Input((4,), name="right")
    shared = L.Dense(2, name="shared")
    model = keras.Model([left, right], L.add([shared(left), shared(right)], name="sum"))
    dot = utils.model_to_dot(model)
    assert _edges(dot) == [("left", "shared"), ("right", "shared"), ("shared", "sum")]
    assert len(_labels(dot)) == 4


def test_expanded_nested_models_are_clusters():
    model, vision = _siamese()
    dot = utils.model_to_dot(model, expand_nested=True)
    (cluster,) = dot.get_subgraphs()
    assert cluster.get_name().startswith("cluster_vision")
    assert cluster.get("label") == "vision" and cluster.get("style") == "dashed"
    inner = sorted(label.split("|")[0] for label in _labels(cluster).values())
    assert inner == ["conv2d", "flatten", vision.layers[0].name]
    edges = _edges(dot)
    assert ("a", vision.layers[0].name) in edges and ("b", vision.layers[0].name) in edges
    assert ("flatten", "shared") in edges and ("conv2d", "flatten") in edges
    assert all("vision" not in edge for edge in edges)


def test_label_options():
    inputs = keras.Input((3,), name="x")
    model = keras.Model(inputs, L.Dense(2, activation="relu", name="d", trainable=False)(inputs))
    labels = _labels(utils.model_to_dot(
        model, show_shapes=True, show_dtype=True, show_layer_activations=True, show_trainable=True
    ))
    assert "NT|{d|{Dense|relu}|float32}|{input:|output:}|{{(None, 3)}|{(None, 2)}}" in labels.values()
    plain = _labels(utils.model_to_dot(model, show_layer_names=False))
    assert sorted(plain.values()) == ["Dense", "InputLayer"]


def test_sequential_shows_its_input_layer():
    model = keras.Sequential([L.Dense(4, input_shape=(3,), name="first"), L.Dense(2, name="second")])
    assert _edges(utils.model_to_dot(model)) == [("first", "second"), ("first_input", "first")]


def test_layer_range():
    model, _ = _siamese()
    dot = utils.model_to_dot(model, layer_range=["vision", "merged"])
    assert sorted(label.split("|")[0] for label in _labels(dot).values()) == [
        "merged", "shared", "vision"
    ]
    with pytest.raises(ValueError, match="does not match the layer names"):
        utils.model_to_dot(model, layer_range=["nope", "out"])


def test_a_subclassed_model_is_one_box():
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__(name="tiny")
            self.dense = L.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Tiny()
    model(np.zeros((1, 3), "float32"))
    model.built = True
    assert list(_labels(utils.model_to_dot(model)).values()) == ["tiny"]


def test_unbuilt_model():
    with pytest.raises(ValueError, match="has not yet been built"):
        utils.plot_model(keras.Sequential([L.Dense(2)]))


def test_without_graphviz_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program anywhere
    assert not model_visualization.check_graphviz()
    model, _ = _siamese()
    with pytest.raises(ImportError, match="apt-get install graphviz"):
        utils.plot_model(model, to_file=tmp_path / "m.png")


def test_without_pydot_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)
    model, _ = _siamese()
    with pytest.raises(ImportError, match="pip install pydot"):
        utils.plot_model(model)
    with pytest.raises(ImportError, match="pip install pydot"):
        utils.model_to_dot(model)


def test_keras2_module_paths():
    from kerasish.utils.vis_utils import plot_model

    assert plot_model is utils.plot_model is utils.generic_utils.plot_model
    assert utils.vis_utils.model_to_dot is utils.model_to_dot
