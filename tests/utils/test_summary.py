"""Model.summary(): the tf.keras 2.x table, its numbers and its layout."""

from __future__ import annotations

import pytest
import torch

import kerasish as keras
from kerasish import layers


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()
    yield


def summary_lines(model, **kwargs) -> list[str]:
    lines: list[str] = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines


def row_of(lines: list[str], name: str) -> str:
    matches = [line for line in lines if line.startswith(f" {name} (")]
    assert len(matches) == 1, (name, lines)
    return matches[0]


def columns(line: str, positions: list[int]) -> list[str]:
    bounds = [0] + positions
    return [line[a:b].strip() for a, b in zip(bounds, bounds[1:])]


def totals(lines: list[str]) -> tuple[str, str, str]:
    return (
        next(line for line in lines if line.startswith("Total params: ")),
        next(line for line in lines if line.startswith("Trainable params: ")),
        next(line for line in lines if line.startswith("Non-trainable params: ")),
    )


SEQ_POSITIONS = [29, 55, 65]


def seed_003_models():
    inputs = keras.Input(shape=(10,))
    hidden = layers.Dense(10)(inputs)
    outputs = layers.Dense(10)(hidden)
    functional = keras.Model(inputs, outputs)
    sequential = keras.Sequential()
    sequential.add(layers.Dense(10, input_dim=10))
    sequential.add(layers.Dense(10))
    return functional, sequential


def seed_004_model():
    model = keras.Sequential()
    model.add(layers.Dense(32, input_shape=(8,)))
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(8))
    return model


def test_seed_003_functional_has_input_row():
    functional, _ = seed_003_models()
    lines = summary_lines(functional)
    assert lines[0] == 'Model: "model"'
    assert columns(row_of(lines, "input_1"), SEQ_POSITIONS) == [
        "input_1 (InputLayer)",
        "(None, 10)",
        "0",
    ]
    assert columns(row_of(lines, "dense"), SEQ_POSITIONS) == ["dense (Dense)", "(None, 10)", "110"]
    assert columns(row_of(lines, "dense_1"), SEQ_POSITIONS) == [
        "dense_1 (Dense)",
        "(None, 10)",
        "110",
    ]
    assert totals(lines) == (
        "Total params: 220",
        "Trainable params: 220",
        "Non-trainable params: 0",
    )
    assert not any("Connected to" in line for line in lines)


def test_seed_003_sequential_has_no_input_row():
    _, sequential = seed_003_models()
    lines = summary_lines(sequential)
    assert not any("InputLayer" in line for line in lines)
    rows = [line for line in lines if "(Dense)" in line]
    assert [columns(r, SEQ_POSITIONS)[1:] for r in rows] == [["(None, 10)", "110"]] * 2
    assert totals(lines)[0] == "Total params: 220"


def test_seed_004_full_table():
    model = seed_004_model()
    lines = summary_lines(model)
    blank = " " * 65
    assert lines == [
        'Model: "sequential"',
        "_" * 65,
        " Layer (type)                Output Shape              Param #   ",
        "=" * 65,
        " dense (Dense)               (None, 32)                288       ",
        blank,
        " dense_1 (Dense)             (None, 64)                2112      ",
        blank,
        " dense_2 (Dense)             (None, 8)                 520       ",
        blank,
        "=" * 65,
        "Total params: 2,920",
        "Trainable params: 2,920",
        "Non-trainable params: 0",
        "_" * 65,
    ]


def test_default_print_fn_prints(capsys):
    seed_004_model().summary()
    out = capsys.readouterr().out
    assert 'Model: "sequential"' in out
    assert "Total params: 2,920" in out


def test_summary_returns_none():
    assert seed_004_model().summary(print_fn=lambda line: None) is None


def test_rank_3_input():
    data = keras.Input(shape=(2, 3))
    model = keras.Model(inputs=data, outputs=layers.Dense(2)(data))
    lines = summary_lines(model)
    assert columns(row_of(lines, "input_1"), SEQ_POSITIONS)[1:] == ["(None, 2, 3)", "0"]
    assert columns(row_of(lines, "dense"), SEQ_POSITIONS)[1:] == ["(None, 2, 2)", "8"]
    assert totals(lines)[0] == "Total params: 8"


def shared_layer_model():
    left = keras.Input(shape=(4,))
    right = keras.Input(shape=(4,))
    shared = layers.Dense(3)
    head = layers.Dense(1)
    return keras.Model([left, right], [head(shared(left)), shared(right)])


def test_shared_layer_gets_connected_to_column():
    model = shared_layer_model()
    lines = summary_lines(model)
    assert len(lines[1]) == 98
    header = lines[2]
    assert header.split() == ["Layer", "(type)", "Output", "Shape", "Param", "#", "Connected", "to"]
    assert header.index("Connected to") == 68
    positions = [29, 58, 68, 98]
    assert columns(row_of(lines, "input_1"), positions) == [
        "input_1 (InputLayer)",
        "(None, 4)",
        "0",
        "[]",
    ]
    assert columns(row_of(lines, "dense"), positions) == [
        "dense (Dense)",
        "(None, 3)",
        "15",
        "['input_1[0][0]',",
    ]
    shared_row = lines.index(row_of(lines, "dense"))
    assert lines[shared_row + 1].strip() == "'input_2[0][0]']"
    assert lines[shared_row + 1].index("'input_2") == 69
    assert columns(row_of(lines, "dense_1"), positions) == [
        "dense_1 (Dense)",
        "(None, 1)",
        "4",
        "['dense[0][0]']",
    ]
    assert totals(lines)[0] == "Total params: 19"


def test_shared_layer_with_different_shapes_shows_multiple():
    small = keras.Input(shape=(2, 4))
    large = keras.Input(shape=(5, 4))
    shared = layers.Dense(3)
    model = keras.Model([small, large], [shared(small), shared(large)])
    lines = summary_lines(model)
    assert columns(row_of(lines, "dense"), [29, 58, 68, 98])[1:3] == ["multiple", "15"]


def test_shared_layer_lists_only_calls_inside_the_model():
    shared = layers.Dense(2)
    other_input = keras.Input(shape=(3,))
    shared(other_input)  # node 0, not part of the model below
    inputs = keras.Input(shape=(3,))
    first = shared(inputs)
    second = shared(inputs)
    model = keras.Model(inputs, [first, second])
    lines = summary_lines(model)
    row = lines.index(row_of(lines, "dense"))
    connected = (lines[row][68:] + lines[row + 1][68:]).replace(" ", "")
    assert connected == "['input_2[0][0]','input_2[0][0]']"


def test_multi_input_layer_lists_each_tensor():
    class Add(layers.Layer):
        def call(self, inputs):
            return inputs[0] + inputs[1]

    a = keras.Input(shape=(3,))
    b = keras.Input(shape=(3,))
    model = keras.Model([a, b], Add()([layers.Dense(3)(a), layers.Dense(3)(b)]))
    lines = summary_lines(model)
    row = lines.index(row_of(lines, "add"))
    connected = (lines[row][68:] + lines[row + 1][68:]).replace(" ", "")
    assert connected == "['dense[0][0]','dense_1[0][0]']"


def test_frozen_layer_counts_as_non_trainable():
    model = seed_004_model()
    model.layers[1].trainable = False
    assert totals(summary_lines(model)) == (
        "Total params: 2,920",
        "Trainable params: 808",
        "Non-trainable params: 2,112",
    )


def test_non_trainable_weights_count_as_non_trainable():
    class Scaled(layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight("scale", shape=(input_shape[-1],), initializer="ones")
            self.moving = self.add_weight(
                "moving_mean", shape=(input_shape[-1],), initializer="zeros", trainable=False
            )

        def call(self, inputs):
            return inputs * self.scale

    inputs = keras.Input(shape=(1000,))
    model = keras.Model(inputs, Scaled()(inputs))
    lines = summary_lines(model)
    assert columns(row_of(lines, "scaled"), SEQ_POSITIONS)[1:] == ["(None, 1000)", "2000"]
    assert totals(lines) == (
        "Total params: 2,000",
        "Trainable params: 1,000",
        "Non-trainable params: 1,000",
    )


def nested_model():
    inner = keras.Sequential(name="inner")
    inner.add(layers.Dense(4, input_shape=(3,)))
    inner.add(layers.Dense(2))
    inputs = keras.Input(shape=(3,))
    outputs = layers.Dense(1)(inner(inputs))
    return keras.Model(inputs, outputs, name="outer")


def test_nested_model_collapsed():
    lines = summary_lines(nested_model())
    assert columns(row_of(lines, "inner"), SEQ_POSITIONS) == [
        "inner (Sequential)",
        "(None, 2)",
        "26",
    ]
    assert not any(line.startswith("|") for line in lines)
    assert totals(lines)[0] == "Total params: 29"


def test_expand_nested():
    lines = summary_lines(nested_model(), expand_nested=True)
    start = lines.index(row_of(lines, "inner"))
    bar = "¯" * 63
    assert lines[start + 1 : start + 7] == [
        "|" + bar + "|",
        "| dense (Dense)              (None, 4)                 16       |",
        "|" + " " * 63 + "|",
        "| dense_1 (Dense)            (None, 2)                 10       |",
        "¯" * 65,
        " " * 65,
    ]
    assert lines[start + 7].startswith(" dense_2 (Dense)")
    assert all(len(line) == 65 for line in lines[1:-5] if line)
    assert totals(lines)[0] == "Total params: 29"


def test_expand_nested_in_graph_model_has_borders_on_every_line():
    inner = shared_layer_model()
    a = keras.Input(shape=(4,))
    b = keras.Input(shape=(4,))
    outer = keras.Model([a, b], inner([a, b]))
    lines = summary_lines(outer, expand_nested=True)
    start = lines.index(row_of(lines, "model"))
    end = lines.index("¯" * 98, start)
    assert lines[start + 1].startswith("  ")  # the row's wrapped output shapes
    block = lines[start + 2 : end]
    assert block[0] == "|" + "¯" * 96 + "|"
    assert all(line.startswith("|") and line.endswith("|") and len(line) == 98 for line in block)
    assert any(line.startswith("| dense (Dense)") for line in block)


def test_show_trainable():
    model = seed_004_model()
    model.layers[0].trainable = False
    lines = summary_lines(model, show_trainable=True)
    assert len(lines[1]) == 76
    assert lines[2].rstrip().endswith("Trainable")
    assert row_of(lines, "dense")[65:].strip() == "N"
    assert row_of(lines, "dense_1")[65:].strip() == "Y"


def test_line_wrapping_of_a_long_name():
    model = keras.Sequential()
    model.add(layers.Dense(2, input_shape=(3,), name="a_very_long_layer_name_that_needs_wrapping"))
    lines = summary_lines(model)
    first = lines.index(" a_very_long_layer_name_tha  (None, 2)                 8         ")
    assert lines[first] == " a_very_long_layer_name_tha  (None, 2)                 8         "
    assert lines[first + 1] == " t_needs_wrapping (Dense)                                        "
    assert lines[first + 2] == " " * 65


def test_wrapping_breaks_after_a_tuple():
    class Pair(layers.Layer):
        def call(self, inputs):
            return [inputs, inputs]

    inputs = keras.Input(shape=(123456, 7))
    model = keras.Model(inputs, Pair()(inputs))
    lines = summary_lines(model)
    row = lines.index(row_of(lines, "pair"))
    assert lines[row][29:55].strip() == "[(None, 123456, 7),"
    assert lines[row + 1][29:55].strip() == "(None, 123456, 7)]"


def test_separator_and_header_lengths_follow_line_length():
    lines = summary_lines(seed_004_model(), line_length=80)
    assert lines[1] == "_" * 80
    assert len(lines[2]) == 80
    assert lines[3] == "=" * 80
    assert lines[-1] == "_" * 80
    assert lines[2].index("Output Shape") == 36  # int(80 * .45)
    graph_lines = summary_lines(shared_layer_model())
    assert {len(graph_lines[i]) for i in (1, 2, 3, -1)} == {98}


def test_absolute_positions():
    lines = summary_lines(seed_004_model(), line_length=70, positions=[30, 60, 70])
    assert lines[2].index("Output Shape") == 30
    assert lines[2].index("Param #") == 60


def test_layer_range():
    inputs = keras.Input(shape=(3,))
    x = layers.Dense(3, name="first")(inputs)
    x = layers.Dense(3, name="second")(x)
    x = layers.Dense(3, name="third")(x)
    model = keras.Model(inputs, x)
    lines = summary_lines(model, layer_range=["sec", "third"])
    names = [
        line.split()[0] for line in lines if line.startswith(" ") and line.strip() and "(" in line
    ]
    assert names == ["Layer", "second", "third"]
    assert totals(lines)[0] == "Total params: 36"  # totals stay the whole model's
    with pytest.raises(ValueError, match="do not match"):
        model.summary(print_fn=lambda line: None, layer_range=["nope", "third"])
    with pytest.raises(ValueError, match="length 2"):
        model.summary(print_fn=lambda line: None, layer_range=["first"])


def test_unbuilt_sequential_raises():
    model = keras.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="not yet been built"):
        model.summary()


def test_subclassed_model():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.used = layers.Dense(3)
            self.unused = layers.Dense(2)

        def call(self, inputs):
            return self.used(inputs)

    model = Net()
    with pytest.raises(ValueError, match="not yet been built"):
        model.summary()
    model(torch.ones(2, 4))
    lines = summary_lines(model)
    assert columns(row_of(lines, "dense"), SEQ_POSITIONS)[1:] == ["multiple", "15"]
    assert columns(row_of(lines, "dense_1"), SEQ_POSITIONS)[1:] == ["multiple", "0 (unused)"]
    assert totals(lines)[0] == "Total params: 15"
