"""Keras 3's Model state API side by side with real Keras 3 (torch backend)."""

import keras
import numpy as np
import torch

import kerasish


def _model(lib):
    x = lib.Input((3,), name="x")
    h = lib.layers.BatchNormalization(name="bn")(x)
    return lib.Model(x, lib.layers.Dense(2, name="d")(h), name="m")


def _pair():
    theirs, ours = _model(keras), _model(kerasish)
    ours.set_weights(theirs.get_weights())
    for m in (theirs, ours):
        m.compile(optimizer="adam", loss="mse",
                  metrics=[(keras if m is theirs else kerasish).metrics.MeanAbsoluteError(name="mae")])
    return theirs, ours


def _flat(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}/"))
        else:
            out[f"{prefix}{key}"] = np.asarray(value)
    return out


def test_compile_config_matches_keras():
    theirs, ours = _pair()
    k, o = theirs.get_compile_config(), ours.get_compile_config()
    assert set(k) == set(o)
    for key in ("loss", "loss_weights", "weighted_metrics", "run_eagerly",
                "steps_per_execution", "jit_compile"):
        assert o[key] == k[key], key
    assert o["optimizer"]["config"] == k["optimizer"]["config"]
    assert ours.jit_compile == theirs.jit_compile and ours.run_eagerly == theirs.run_eagerly


def test_state_tree_after_a_step_matches_keras():
    theirs, ours = _pair()
    rng = np.random.default_rng(3)
    x, y = rng.random((8, 3)).astype("float32"), rng.random((8, 2)).astype("float32")
    theirs.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    ours.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    k_tree = theirs.get_state_tree("numpy_array")
    o_tree = ours.get_state_tree("numpy_array")
    assert set(k_tree) == set(o_tree)
    for kind in k_tree:
        k_flat, o_flat = _flat(k_tree[kind]), _flat(o_tree[kind])
        assert set(o_flat) == set(k_flat), kind
        for path, value in k_flat.items():
            np.testing.assert_allclose(o_flat[path], value, atol=1e-5, rtol=0, err_msg=path)


def test_set_state_tree_from_keras():
    theirs, ours = _pair()
    x = np.ones((4, 3), "float32")
    theirs.fit(x, np.ones((4, 2)), verbose=0)
    ours.fit(x, np.zeros((4, 2)), verbose=0)
    ours.set_state_tree(theirs.get_state_tree("numpy_array"))
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-5)
    k_flat = _flat(theirs.get_state_tree("numpy_array"))
    o_flat = _flat(ours.get_state_tree("numpy_array"))
    for path, value in k_flat.items():
        np.testing.assert_allclose(o_flat[path], value, atol=1e-6, rtol=0, err_msg=path)


def test_train_function_matches_keras():
    theirs, ours = _pair()
    rng = np.random.default_rng(4)
    batches = [
        (torch.tensor(rng.random((4, 3)).astype("float32")),
         torch.tensor(rng.random((4, 2)).astype("float32")))
        for _ in range(2)
    ]
    for m in (theirs, ours):
        m.make_train_function()
    first = [m.train_function(batches[:1]) for m in (theirs, ours)]
    np.testing.assert_allclose(float(first[1]["loss"]), float(first[0]["loss"]), atol=1e-5)
    np.testing.assert_allclose(float(first[1]["mae"]), float(first[0]["mae"]), atol=1e-5)
    for m in (theirs, ours):
        m.train_function(batches)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)
