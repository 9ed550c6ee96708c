"""Muon: the Newton-Schulz orthogonalisation, which weights take the AdamW step, the two decay
rates, Keras-layout steps for torch-layout weights, and no host sync."""

import pytest
import torch

import kerasish
from kerasish import optimizers


def test_newton_schulz_flattens_the_singular_values_in_both_orientations():
    torch.manual_seed(0)
    opt = optimizers.Muon()
    for shape in [(4, 9), (9, 4)]:
        x = torch.randn(shape) * 5
        out = opt.zeropower_via_newtonschulz5(x, 5)
        singular = torch.linalg.svdvals(out)
        assert out.shape == x.shape
        assert singular.min() > 0.6 and singular.max() < 1.25  # Keras' coefficients: near 1
        u, _, vh = torch.linalg.svd(x, full_matrices=False)
        assert torch.nn.functional.cosine_similarity(out.flatten(), (u @ vh).flatten(), dim=0) > 0.97
    with pytest.raises(ValueError, match="at least 2 dimensions. Received: shape=\\(3,\\)"):
        opt.zeropower_via_newtonschulz5(torch.ones(3), 5)


def test_rank_embedding_and_excluded_layers_take_adamw():
    inputs = kerasish.Input((3,), dtype="int32")
    x = kerasish.layers.Embedding(10, 4)(inputs)
    x = kerasish.layers.Flatten()(x)
    x = kerasish.layers.Dense(5, name="body")(x)
    outputs = kerasish.layers.Dense(2, name="output_dense")(x)
    model = kerasish.Model(inputs, outputs)

    def routing(**kwargs):
        opt = optimizers.Muon(**kwargs)
        opt.build(model.trainable_weights)
        return {v.path: adamw for v, adamw in zip(model.trainable_weights, opt._uses_adamw)}

    assert routing() == {
        "embedding/embeddings": True, "body/kernel": False, "body/bias": True,
        "output_dense/kernel": False, "output_dense/bias": True,
    }
    excluded = routing(exclude_layers=["output_.*"], exclude_embeddings=False)
    assert excluded["embedding/embeddings"] is False and excluded["output_dense/kernel"] is True
    opt = optimizers.Muon()
    opt.build(model.trainable_weights)
    # Slots in Keras' order: a momentum for each weight, a velocity after it for AdamW weights.
    assert [name for name, _ in opt.variable_slots()[2:]] == [
        "momentum", "velocity", "momentum", "momentum", "velocity", "momentum", "momentum", "velocity",
    ]


def test_muon_step_on_a_torch_layout_kernel_equals_the_keras_layout_step():
    torch.manual_seed(1)
    dense = kerasish.layers.Dense(3, use_bias=False)
    dense.build((None, 5))
    kernel = dense.weights[0]  # Keras (5, 3); the parameter is torch's (3, 5)
    plain = kernel.numpy().copy()
    grad_keras = torch.randn(5, 3)
    ours, reference = optimizers.Muon(learning_rate=0.1), optimizers.Muon(learning_rate=0.1)
    ours.build([kernel])
    ours.apply([grad_keras.T.contiguous()], [kernel.tensor])
    plain_tensor = torch.tensor(plain)
    reference.apply([grad_keras], [plain_tensor])
    torch.testing.assert_close(torch.as_tensor(kernel.numpy()), plain_tensor, atol=1e-6, rtol=0)


def test_each_group_decays_with_its_own_rate():
    matrix, vector = torch.ones(2, 3), torch.ones(3)
    opt = optimizers.Muon(learning_rate=0.5, weight_decay=None, adam_weight_decay=0.2, rms_rate=None)
    opt._parallel_update_step = lambda *args: None  # the decay alone
    opt.apply([torch.zeros(2, 3), torch.zeros(3)], [matrix, vector])
    torch.testing.assert_close(matrix, torch.ones(2, 3))
    torch.testing.assert_close(vector, torch.full((3,), 1 - 0.2 * 0.5))


def test_lr_adjust_scales_by_the_larger_dimension():
    opt = optimizers.Muon(rms_rate=0.5)
    torch.testing.assert_close(opt.lr_adjust(torch.ones(4, 9)), torch.full((4, 9), 1.5))
    assert optimizers.Muon(rms_rate=None).lr_adjust(torch.ones(2, 2)).sum() == 4


def test_defaults_and_config_round_trip():
    opt = optimizers.Muon(exclude_layers=["head"], ns_steps=3)
    config = opt.get_config()
    assert config["learning_rate"] == pytest.approx(0.001) and config["weight_decay"] == 0.004
    assert (config["muon_a"], config["muon_b"], config["muon_c"]) == (3.4445, -4.7750, 2.0315)
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert isinstance(again, optimizers.Muon) and again.get_config() == config
    assert isinstance(optimizers.get("muon"), optimizers.Muon)


@pytest.mark.parametrize("kwargs", [{}, {"nesterov": False, "use_ema": True, "learning_rate": 0.01}])
def test_apply_never_reads_a_device_value_on_the_host(kwargs):
    params = [torch.zeros(3, 4, device="meta"), torch.zeros(4, device="meta")]
    opt = optimizers.Muon(**kwargs)
    for _ in range(3):
        opt.apply([torch.ones(3, 4, device="meta"), torch.ones(4, device="meta")], params)
    assert all(v.device.type == "meta" for v in opt.variables)


def test_every_weight_excluded_from_decay_is_left_undecayed():
    """(The base class' decay once indexed an empty group here.)"""
    weights = [torch.ones(2, 2), torch.ones(2)]
    for opt in (optimizers.Muon(learning_rate=0.1), optimizers.AdamW(learning_rate=0.1)):
        opt.exclude_from_weight_decay(var_list=weights)
        opt.apply([torch.zeros(2, 2), torch.zeros(2)], weights)
        torch.testing.assert_close(weights[1], torch.ones(2))
