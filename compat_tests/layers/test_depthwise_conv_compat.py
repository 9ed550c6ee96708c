"""DepthwiseConv1D/2D and SeparableConv1D/2D side by side with Keras 3."""

import itertools

import numpy as np
import pytest
import torch

import kerasish


def _check(name, x, **kwargs):
    import keras

    reference = getattr(keras.layers, name)(**kwargs)
    expected = keras.ops.convert_to_numpy(reference(x))
    ours = getattr(kerasish.layers, name)(**kwargs)
    ours.build(x.shape)
    ours.set_weights(reference.get_weights())
    received = ours(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(received, expected, atol=1e-5, rtol=0)
    assert ours.count_params() == reference.count_params()
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in reference.get_weights()]
    symbolic = (None,) + x.shape[1:]
    assert ours.compute_output_shape(symbolic) == tuple(reference.compute_output_shape(symbolic))


CASES_2D = [
    dict(kernel_size=k, strides=s, padding=p, data_format=f, depth_multiplier=dm)
    for k, s, p, f, dm in itertools.product(
        (2, 3), (1, 2), ("valid", "same"), ("channels_last", "channels_first"), (1, 2)
    )
] + [dict(kernel_size=3, dilation_rate=2, padding="same", depth_multiplier=2, use_bias=False)]


def _ids(kwargs):
    return "-".join(f"{v}" for v in kwargs.values())


@pytest.mark.parametrize("name", ["DepthwiseConv2D", "SeparableConv2D"])
@pytest.mark.parametrize("kwargs", CASES_2D, ids=_ids)
def test_2d(rng, name, kwargs):
    shape = (2, 3, 7, 6) if kwargs.get("data_format") == "channels_first" else (2, 7, 6, 3)
    if name == "SeparableConv2D":
        kwargs = {**kwargs, "filters": 5}
    _check(name, rng.standard_normal(shape).astype("float32"), **kwargs)


CASES_1D = [
    dict(kernel_size=3, strides=2, padding="same", depth_multiplier=2),
    dict(kernel_size=2, padding="valid", data_format="channels_first"),
    dict(kernel_size=3, dilation_rate=2, padding="same", activation="relu"),
]


@pytest.mark.parametrize("name", ["DepthwiseConv1D", "SeparableConv1D"])
@pytest.mark.parametrize("kwargs", CASES_1D, ids=_ids)
def test_1d(rng, name, kwargs):
    shape = (2, 3, 9) if kwargs.get("data_format") == "channels_first" else (2, 9, 3)
    if name == "SeparableConv1D":
        kwargs = {**kwargs, "filters": 4}
    _check(name, rng.standard_normal(shape).astype("float32"), **kwargs)


def test_keras3_configs_round_trip():
    import keras

    for reference in (
        keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
        keras.layers.SeparableConv2D(4, 3, depth_multiplier=2, strides=2),
    ):
        cls = getattr(kerasish.layers, type(reference).__name__)
        ours = cls.from_config(reference.get_config())
        assert ours.depth_multiplier == 2
        back = type(reference).from_config(ours.get_config())  # Keras 3 reads ours
        assert back.depth_multiplier == 2 and back.kernel_size == reference.kernel_size
