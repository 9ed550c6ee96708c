"""Summary columns against real Keras 3: per-layer Output Shape and Param #, and the totals.

Keras 3 lays its table out differently, so its numbers are read from the layers themselves
(``layer.output.shape``, ``layer.count_params()``), not from its printed text; ours are read
from the printed kerasish table.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerasish

POSITIONS = [29, 55, 65]  # column ends of the 65-character sequential-like table


def kerasish_rows(model) -> tuple[dict[str, tuple[str, str]], dict[str, int]]:
    """``{layer name: (output shape cell, param # cell)}`` and the totals, from the printout."""
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    rows = {}
    for line in lines[4:]:
        if line.startswith("="):
            break
        if not line.strip():
            continue
        name_cell = line[: POSITIONS[0]].strip()
        rows[name_cell.split(" (")[0]] = (
            line[POSITIONS[0] : POSITIONS[1]].strip(),
            line[POSITIONS[1] : POSITIONS[2]].strip(),
        )
    totals = {
        line.split(":")[0]: int(line.split(":")[1].replace(",", ""))
        for line in lines
        if line.endswith(tuple("0123456789")) and "params:" in line
    }
    return rows, totals


def keras3_rows(model) -> dict[str, tuple[str, str]]:
    return {
        layer.name: (str(tuple(layer.output.shape)), str(layer.count_params()))
        for layer in model.layers
    }


def keras3_totals(model) -> dict[str, int]:
    def size(weights):
        return int(sum(np.prod(w.shape) for w in weights))

    trainable = size(model.trainable_weights)
    non_trainable = size(model.non_trainable_weights)
    return {
        "Total params": trainable + non_trainable,
        "Trainable params": trainable,
        "Non-trainable params": non_trainable,
    }


def build_seed_004(lib):
    return lib.Sequential(
        [
            lib.Input(shape=(8,)),
            lib.layers.Dense(32),
            lib.layers.Dense(64, activation="relu"),
            lib.layers.Dense(8),
        ]
    )


def build_rank_3(lib):
    data = lib.Input(shape=(2, 3), name="data")
    return lib.Model(inputs=data, outputs=lib.layers.Dense(2)(data))


def build_flatten_stack(lib):
    inputs = lib.Input(shape=(4, 5), name="image")
    x = lib.layers.Flatten()(inputs)
    x = lib.layers.Dense(7, activation="relu")(x)
    x = lib.layers.Dropout(0.5)(x)
    x = lib.layers.Reshape((7, 1))(x)
    outputs = lib.layers.Dense(3, use_bias=False)(x)
    model = lib.Model(inputs, outputs)
    model.layers[2].trainable = False  # the Dense(7): its params become non-trainable
    return model


@pytest.mark.parametrize("build", [build_seed_004, build_rank_3, build_flatten_stack])
def test_summary_numbers_match_keras3(build):
    reference = build(keras)
    ours = build(kerasish)
    rows, totals = kerasish_rows(ours)
    expected = keras3_rows(reference)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in reference.layers]
    assert rows == expected
    assert totals == keras3_totals(reference)
    if build is build_flatten_stack:
        assert totals["Non-trainable params"] == 147
