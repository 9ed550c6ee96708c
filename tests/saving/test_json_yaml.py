import json
import re

import numpy as np
import pytest

import kerasish as keras
from kerasish.saving import json_yaml

L = keras.layers

# Seed 004: `model.to_yaml()` of Keras 2.2.5 as a tutorial page printed it: the repr of the
# string, with the page's line wrapping and a few words split by stray spaces.
SEED_004_AS_PUBLISHED = r"""
    backend: tensorflow\nclass_name:
    Sequential\nconfig:\n layers:\n - class_name: Dense\n config:\n
    activation: linear\n activity_regular izer: null\n batch_input_shape:
    !!python/tuple\n - null\n - 8\n bias_constraint: null\n bias_initializer:\n
    class_name : Zeros\n config: {}\n bias_regularizer: null\n dtype:
    float32\n kernel_constraint: null\n
    kernel_initializer:\n cla ss_name: VarianceScaling\n config:\n
    distribution: uniform\n mode: fan_avg\n
    scale: 1.0\n seed: null\n kernel_regularizer: null\n name: dense_13\n
    trainable: true\n units: 32\n
    use_bias: true\n - class_name: Dense\n config:\n activation: relu\n activity_regularizer: null\n
    bias_constraint: null\n bias_initializer:\n class_name: Zeros\n
    config : {}\n bias_regularizer: null\n dtype: float32\n
    kernel_constraint: null\n kernel_initializer:\n class_name: VarianceScalin g\n
    config:\n distribution: uniform\n mode: fan_avg\n scale: 1.0\n
    seed: null\n kernel_regularizer: nu ll\n name: dense_14\n trainable: true\n
    units: 64\n use_bias: true\n - class_name: Dense\n config:\n
    activation: linear\n activity_regularizer: null\n
    bias_constraint: null\n bias_initializer:\n
    class_name: Zeros\n config: {}\n bias_regu larizer: null\n
    dtype: float32\n kernel_constraint: null\n
    kernel_initializer:\n class_name: VarianceScaling\n config:\n
    distribution: uniform\n mode: fan_avg\n
    scale: 1.0\n seed: null\n kernel_regularizer: null\n name: dense _15\n
    trainable: true\n units: 8\n
    use_bias: true\n name: sequential_10\nkeras_version: 2.2.5\n
"""

# The same document reconstructed as Keras 2.2.5 wrote it (`yaml.dump` block style, two-space
# indents, sorted keys). test_seed_reconstruction_is_faithful checks it against the page.
SEED_004_YAML = """\
backend: tensorflow
class_name: Sequential
config:
  layers:
  - class_name: Dense
    config:
      activation: linear
      activity_regularizer: null
      batch_input_shape: !!python/tuple
      - null
      - 8
      bias_constraint: null
      bias_initializer:
        class_name: Zeros
        config: {}
      bias_regularizer: null
      dtype: float32
      kernel_constraint: null
      kernel_initializer:
        class_name: VarianceScaling
        config:
          distribution: uniform
          mode: fan_avg
          scale: 1.0
          seed: null
      kernel_regularizer: null
      name: dense_13
      trainable: true
      units: 32
      use_bias: true
  - class_name: Dense
    config:
      activation: relu
      activity_regularizer: null
      bias_constraint: null
      bias_initializer:
        class_name: Zeros
        config: {}
      bias_regularizer: null
      dtype: float32
      kernel_constraint: null
      kernel_initializer:
        class_name: VarianceScaling
        config:
          distribution: uniform
          mode: fan_avg
          scale: 1.0
          seed: null
      kernel_regularizer: null
      name: dense_14
      trainable: true
      units: 64
      use_bias: true
  - class_name: Dense
    config:
      activation: linear
      activity_regularizer: null
      bias_constraint: null
      bias_initializer:
        class_name: Zeros
        config: {}
      bias_regularizer: null
      dtype: float32
      kernel_constraint: null
      kernel_initializer:
        class_name: VarianceScaling
        config:
          distribution: uniform
          mode: fan_avg
          scale: 1.0
          seed: null
      kernel_regularizer: null
      name: dense_15
      trainable: true
      units: 8
      use_bias: true
  name: sequential_10
keras_version: 2.2.5
"""


def _without_whitespace(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("\\n", ""))


def test_seed_reconstruction_is_faithful():
    assert _without_whitespace(SEED_004_AS_PUBLISHED) == _without_whitespace(SEED_004_YAML)


def test_seed_004_keras_2_2_5_yaml_loads(rng):
    model = keras.models.model_from_yaml(SEED_004_YAML)
    assert isinstance(model, keras.Sequential) and model.name == "sequential_10"
    assert [layer.name for layer in model.layers] == ["dense_13", "dense_14", "dense_15"]
    assert [layer.units for layer in model.layers] == [32, 64, 8]
    assert model.input_shape == (None, 8) and model.count_params() == 2920
    weights = [rng.normal(size=w.shape).astype("float32") for w in model.get_weights()]
    model.set_weights(weights)
    x = rng.normal(size=(3, 8)).astype("float32")
    h = x @ weights[0] + weights[1]
    h = np.maximum(h @ weights[2] + weights[3], 0)
    np.testing.assert_allclose(model.predict(x, verbose=0), h @ weights[4] + weights[5], rtol=1e-5, atol=1e-5)


def test_yaml_round_trip_writes_python_tuples():
    model = keras.Sequential([L.Dense(4, input_shape=(3,), name="a"), L.Dense(2, name="b")])
    text = model.to_yaml()
    assert "!!python/tuple" in text and text.startswith("backend: ")
    clone = keras.models.model_from_yaml(text)
    assert [layer.name for layer in clone.layers] == ["a", "b"] and clone.input_shape == (None, 3)


@pytest.mark.parametrize(
    "tag",
    ["!!python/object/apply:os.system ['echo hi']", "!!python/name:os.system", "!!python/object:builtins.object {}"],
)
def test_yaml_refuses_other_python_tags(tag):
    with pytest.raises(ValueError, match="Refusing to load the YAML tag '!!python/"):
        keras.models.model_from_yaml(f"class_name: Sequential\nconfig: {tag}\n")


def test_yaml_syntax_error_is_a_value_error():
    with pytest.raises(ValueError, match="could not be parsed"):
        keras.models.model_from_yaml("class_name: [unclosed\n")


def _functional():
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(2,), name="b")
    shared = L.Dense(4, name="shared")
    merged = L.Concatenate(name="cat")([shared(a), L.Dense(4, name="side")(b)])
    return keras.Model([a, b], [L.Dense(1, name="o1")(merged), shared(L.Dense(3, name="back")(merged))], name="f")


def test_json_document_is_tf_keras_shaped_and_round_trips(rng):
    model = _functional()
    document = json.loads(model.to_json())
    assert set(document) == {"class_name", "config", "keras_version", "backend"}
    assert document["class_name"] == "Functional" and document["keras_version"].startswith("2.")
    assert json.loads(model.to_json(indent=2)) == document
    clone = keras.models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    x = [rng.normal(size=(2, 3)).astype("float32"), rng.normal(size=(2, 2)).astype("float32")]
    for got, want in zip(clone.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_json_errors_are_clear():
    with pytest.raises(ValueError, match="not valid JSON"):
        keras.models.model_from_json('{"class_name": "Sequential", "config": ')
    with pytest.raises(ValueError, match="must be a dict with 'class_name'"):
        keras.models.model_from_json("[1, 2]")


def _lstm_document(activation: str, keras_version=None) -> str:
    document = {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [
                {"class_name": "LSTM", "config": {"name": "l", "units": 2, "recurrent_activation": activation,
                                                  "batch_input_shape": [None, 4, 3], "implementation": 1}},
                {"class_name": "Activation", "config": {"name": "act", "activation": activation}},
            ],
        },
    }
    if keras_version is not None:
        document["keras_version"] = keras_version
    return json.dumps(document)


@pytest.mark.parametrize("version", ["2.2.5", "2.15.0", "1.2.2"])
def test_keras2_files_keep_keras2_hard_sigmoid(version):
    model = keras.models.model_from_json(_lstm_document("hard_sigmoid", version))
    assert model.get_layer("l").recurrent_activation is keras.activations.legacy_hard_sigmoid
    assert model.get_layer("act").activation is keras.activations.legacy_hard_sigmoid


@pytest.mark.parametrize("version", [None, "3.15.1"])
def test_keras3_or_unversioned_configs_mean_keras3_hard_sigmoid(version):
    model = keras.models.model_from_json(_lstm_document("hard_sigmoid", version))
    assert model.get_layer("act").activation is keras.activations.hard_sigmoid


def test_writer_maps_hard_sigmoid_by_declared_version():
    legacy = keras.models.model_from_json(_lstm_document("hard_sigmoid", "2.2.5"))
    document = json.loads(legacy.to_json())
    assert document["keras_version"].startswith("2.")
    assert "legacy_hard_sigmoid" not in json.dumps(document)
    assert document["config"]["layers"][2]["config"]["activation"] == "hard_sigmoid"
    # Keras 3's hard_sigmoid cannot be said in Keras 2 terms: the file declares Keras 3.
    modern = keras.Sequential([L.Dense(2, activation="hard_sigmoid", input_shape=(3,))])
    assert json.loads(modern.to_json())["keras_version"].startswith("3.")
    reread = keras.models.model_from_json(modern.to_json())
    assert reread.layers[0].activation is keras.activations.hard_sigmoid


def test_writer_refuses_both_hard_sigmoids_in_one_legacy_file():
    model = keras.Sequential([
        L.Dense(2, activation="hard_sigmoid", input_shape=(3,)),
        L.Dense(2, activation="legacy_hard_sigmoid"),
    ])
    with pytest.raises(ValueError, match="Save it as `.keras`"):
        model.to_json()


def test_model_from_config_rejects_lists():
    with pytest.raises(TypeError, match="expects a dictionary"):
        keras.models.model_from_config([{"class_name": "Dense", "config": {"units": 1}}])
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Dense", "config": {"units": 1, "batch_input_shape": [None, 2]}}]}}
    assert keras.models.model_from_config(config).output_shape == (None, 1)


def test_json_codec_handles_numpy_and_tf_keras_tuples():
    text = json_yaml.encode_json({"a": np.float32(1.5), "b": np.arange(2), "c": (1, 2)})
    assert json.loads(text) == {"a": 1.5, "b": [0, 1], "c": [1, 2]}
    assert json_yaml.decode_json('{"x": {"class_name": "__tuple__", "items": [1, 2]}}') == {"x": (1, 2)}
