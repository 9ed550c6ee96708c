"""Seed scenario 002: the headline model, two inputs, two outputs and an auxiliary loss.

Predict how popular a news headline will be. The headline (a sequence of word indices) goes
through an Embedding and an LSTM; an auxiliary output right after the LSTM gets its own loss,
which helps the LSTM and Embedding train even though they are far from the main output. The
LSTM's output is then joined with auxiliary data (e.g. the posting time) for the main output.

The model is compiled twice, as the seed does: losses and loss weights as lists (in output
order), then as dicts keyed by the output layers' names; data can likewise be lists or dicts
keyed by the input names.

    python examples/multi_input_multi_output.py [--quick]
"""

from __future__ import annotations

import argparse

import numpy as np

import kerasish as keras
from kerasish.layers import LSTM, Dense, Embedding, Input
from kerasish.models import Model


def build(sequence_length: int = 100) -> Model:
    main_input = Input(shape=(sequence_length,), dtype="int32", name="main_input")
    x = Embedding(output_dim=512, input_dim=10000, input_length=sequence_length)(main_input)
    lstm_out = LSTM(32)(x)
    auxiliary_output = Dense(1, activation="sigmoid", name="aux_output")(lstm_out)

    auxiliary_input = Input(shape=(5,), name="aux_input")
    x = keras.layers.concatenate([lstm_out, auxiliary_input])
    x = Dense(64, activation="relu")(x)
    x = Dense(64, activation="relu")(x)
    x = Dense(64, activation="relu")(x)
    main_output = Dense(1, activation="sigmoid", name="main_output")(x)
    return Model(inputs=[main_input, auxiliary_input], outputs=[main_output, auxiliary_output])


def synthetic_headlines(count: int, length: int, rng: np.random.Generator) -> tuple:
    """Headlines with word 7 in them are popular; the auxiliary data carry a weaker hint."""
    headlines = rng.integers(1, 10000, size=(count, length)).astype("int32")
    labels = rng.integers(0, 2, size=(count, 1)).astype("float32")
    headlines[labels[:, 0] == 1, rng.integers(0, length)] = 7
    additional = rng.normal(size=(count, 5)).astype("float32") + 0.5 * labels
    return headlines, additional, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples and epochs")
    args = parser.parse_args()
    count, epochs = (128, 1) if args.quick else (2000, 10)
    rng = np.random.default_rng(0)
    headline_data, additional_data, labels = synthetic_headlines(count, 100, rng)

    model = build()
    model.summary()
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", loss_weights=[1.0, 0.2])
    history = model.fit(
        [headline_data, additional_data], [labels, labels], epochs=epochs, batch_size=32, verbose=0
    )
    print("list form, history keys:", sorted(history.history))

    model.compile(
        optimizer="rmsprop",
        loss={"main_output": "binary_crossentropy", "aux_output": "binary_crossentropy"},
        loss_weights={"main_output": 1.0, "aux_output": 0.2},
    )
    history = model.fit(
        {"main_input": headline_data, "aux_input": additional_data},
        {"main_output": labels, "aux_output": labels},
        epochs=epochs,
        batch_size=32,
        verbose=0,
    )
    last = {key: round(values[-1], 4) for key, values in history.history.items()}
    print("dict form, last epoch:", last)
    # The total is the main loss plus 0.2 times the auxiliary loss.
    total = last["main_output_loss"] + 0.2 * last["aux_output_loss"]
    print(f"loss - (main + 0.2 * aux) = {abs(last['loss'] - total):.4f}")

    by_name = model.predict({"main_input": headline_data, "aux_input": additional_data}, verbose=0)
    by_position = model.predict([headline_data, additional_data], verbose=0)
    print("predictions: 2 outputs of shapes", [p.shape for p in by_position],
          "; dict and list inputs agree:", all(np.allclose(a, b) for a, b in zip(by_name, by_position)))


if __name__ == "__main__":
    main()
