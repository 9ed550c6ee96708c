"""Seed scenario 004: a model's parts, and every way to save it and get it back.

``model.layers``, ``inputs``, ``outputs`` and ``get_weights``/``set_weights`` expose the model;
``get_config``/``from_config``, ``to_json``/``model_from_json`` and ``to_yaml``/``model_from_yaml``
give the architecture alone (new, random weights); ``.h5`` (Keras 2's HDF5) and ``.keras``
(Keras 3's zip) files hold architecture, weights and optimizer state. Every text and file here
is in the format real Keras reads.

    python examples/serialization_tour.py [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

import kerasish as keras
from kerasish.layers import Dense
from kerasish.models import Sequential, load_model, model_from_json, model_from_yaml


def build() -> Sequential:
    model = Sequential()
    input_layer = Dense(32, input_shape=(8,))
    model.add(input_layer)
    hidden_layer = Dense(64, activation="relu")
    model.add(hidden_layer)
    output_layer = Dense(8)
    model.add(output_layer)
    return model


def same_weights(a: keras.Model, b: keras.Model) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="folder for the saved files (default: a temporary one)")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="kerasish_tour_"))
    out.mkdir(parents=True, exist_ok=True)

    model = build()
    print("layers:", [f"{layer.name} ({type(layer).__name__})" for layer in model.layers])
    print("inputs:", model.inputs)
    print("outputs:", model.outputs)
    print("weight shapes:", [w.shape for w in model.get_weights()])
    model.summary()
    x = np.random.default_rng(0).random((4, 8)).astype("float32")
    expected = model.predict(x, verbose=0)

    config = model.get_config()
    from_config = Sequential.from_config(config)
    print("from_config: same architecture:", from_config.get_config() == config,
          "| new weights:", not same_weights(model, from_config))
    from_config.set_weights(model.get_weights())
    print("  after set_weights, same predictions:",
          np.allclose(from_config.predict(x, verbose=0), expected))

    json_string = model.to_json()
    print("to_json:", json_string[:80] + "...")
    print("  keras_version:", json.loads(json_string)["keras_version"])
    print("  model_from_json: same config:", model_from_json(json_string).get_config() == config)
    yaml_string = model.to_yaml()
    print("to_yaml:", yaml_string.splitlines()[0], "...")
    print("  model_from_yaml: same config:", model_from_yaml(yaml_string).get_config() == config)

    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.zeros((4, 8), "float32"), verbose=0)
    expected = model.predict(x, verbose=0)
    for name in ("tour.h5", "tour.keras"):
        path = out / name
        model.save(path)
        loaded = load_model(path)
        print(f"{name}: {path.stat().st_size:,} bytes; same weights: {same_weights(model, loaded)}; "
              f"same predictions: {np.allclose(loaded.predict(x, verbose=0), expected)}; "
              f"optimizer restored: {type(loaded.optimizer).__name__}")
    model.save_weights(out / "tour.weights.h5")
    fresh = build()
    fresh.load_weights(out / "tour.weights.h5")
    print("tour.weights.h5 into a fresh model: same weights:", same_weights(model, fresh))


if __name__ == "__main__":
    main()
