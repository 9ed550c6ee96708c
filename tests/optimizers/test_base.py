"""The base class: arguments, learning rate handling, state layout, apply's bookkeeping."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish import optimizers


def _params(*shapes, dtype=torch.float32):
    return [torch.ones(shape, dtype=dtype, requires_grad=True) for shape in shapes]


def _grads(params, value=0.5):
    return [torch.full_like(p, value) for p in params]


# ----------------------------------------------------------------------------- arguments


def test_unknown_kwarg_is_an_error_as_in_keras():
    with pytest.raises(ValueError, match=r"Argument\(s\) not recognized: \{'foo': 1\}"):
        optimizers.Adam(foo=1)


def test_only_one_clipping_argument():
    with pytest.raises(
        ValueError, match="Only one of `clipnorm`, `clipvalue` and `global_clipnorm`"
    ):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


def test_learning_rate_must_be_a_number_schedule_or_callable():
    with pytest.raises(ValueError, match="Argument `learning_rate` should be float"):
        optimizers.Adam(learning_rate="fast")


def test_gradient_accumulation_steps_must_be_at_least_two():
    with pytest.raises(ValueError, match="`gradient_accumulation_steps` must be an integer >= 2"):
        optimizers.SGD(gradient_accumulation_steps=1)


def test_ema_momentum_range():
    with pytest.raises(ValueError, match=r"`ema_momentum` must be in the range \[0, 1\]"):
        optimizers.SGD(use_ema=True, ema_momentum=1.5)


def test_negative_decay_is_rejected():
    with pytest.raises(ValueError, match="decay cannot be less than 0"):
        optimizers.SGD(decay=-0.1)


def test_names_are_snake_case_and_unique_like_keras():
    assert optimizers.Adam().name == "adam"
    assert optimizers.Adam().name == "adam_1"
    assert optimizers.RMSprop().name == "rm_sprop"
    assert optimizers.AdamW().name == "adam_w"
    assert optimizers.SGD(name="mine").name == "mine"
    kerasish.backend.clear_session()
    assert optimizers.Adam().name == "adam"


# ----------------------------------------------------------------------------- learning rate


def test_lr_alias_means_learning_rate():
    opt = optimizers.SGD(lr=0.5)
    assert opt.learning_rate == pytest.approx(0.5)
    assert opt.lr == pytest.approx(0.5)
    params = _params((2,))
    opt.apply(_grads(params, 1.0), params)
    np.testing.assert_allclose(params[0].detach().numpy(), [0.5, 0.5])


def test_learning_rate_is_a_python_float_and_settable():
    opt = optimizers.Adam(learning_rate=0.01)
    assert isinstance(opt.learning_rate, float)
    assert opt.learning_rate == pytest.approx(0.01)
    opt.learning_rate = 0.2
    assert opt.learning_rate == pytest.approx(0.2)
    opt.lr = np.float32(0.3)
    assert opt.learning_rate == pytest.approx(0.3)
    opt.learning_rate = torch.tensor(0.4)
    assert opt.lr == pytest.approx(0.4)


def test_setting_learning_rate_changes_the_next_step():
    params = _params((3,))
    opt = optimizers.SGD(learning_rate=0.1)
    opt.apply(_grads(params, 1.0), params)
    opt.learning_rate = 0.01
    opt.apply(_grads(params, 1.0), params)
    np.testing.assert_allclose(params[0].detach().numpy(), 1 - 0.1 - 0.01, rtol=1e-6)


def test_learning_rate_is_stored_as_float32_like_keras():
    assert optimizers.Adam().get_config()["learning_rate"] == float(np.float32(0.001))


def test_schedule_learning_rate_returns_current_value_and_is_not_settable_to_float():
    schedule = optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    opt = optimizers.SGD(learning_rate=schedule)
    params = _params((1,))
    opt.apply(_grads(params, 1.0), params)
    assert isinstance(opt.learning_rate, torch.Tensor)
    assert float(opt.learning_rate) == pytest.approx(0.05)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1
    # The first step used 0.1, the schedule at iteration 0.
    np.testing.assert_allclose(params[0].detach().numpy(), [0.9], rtol=1e-6)


def test_setting_a_schedule_drops_learning_rate_from_variables():
    opt = optimizers.SGD(learning_rate=0.1)
    assert len(opt.variables) == 2
    opt.learning_rate = optimizers.schedules.InverseTimeDecay(0.1, 1, 1.0)
    assert len(opt.variables) == 1


def test_callable_learning_rate():
    params = _params((2,))
    opt = optimizers.SGD(learning_rate=lambda: 0.25)
    opt.apply(_grads(params, 1.0), params)
    np.testing.assert_allclose(params[0].detach().numpy(), 0.75)
    assert opt.learning_rate == 0.25


def test_keras2_time_based_decay():
    """Keras 2: lr_t = lr / (1 + decay * iterations), iterations counted before the step."""
    params = _params((1,))
    opt = optimizers.SGD(lr=0.1, decay=0.5)
    expected = 1.0
    for step in range(4):
        opt.apply(_grads(params, 1.0), params)
        expected -= 0.1 / (1 + 0.5 * step)
    np.testing.assert_allclose(params[0].detach().numpy(), [expected], rtol=1e-6)
    assert opt.get_config()["decay"] == 0.5
    assert opt.learning_rate == pytest.approx(0.1)  # the base rate, as tf.keras' `lr`


def test_decay_zero_is_not_written_to_config():
    assert "decay" not in optimizers.SGD(decay=0.0).get_config()


# ----------------------------------------------------------------------------- state


def test_iterations_is_an_int64_tensor_counted_on_the_tensor():
    params = _params((2,))
    opt = optimizers.Adam()
    assert opt.iterations.dtype == torch.int64 and opt.iterations.ndim == 0
    for _ in range(3):
        opt.apply(_grads(params), params)
    assert isinstance(opt.iterations, torch.Tensor)
    assert int(opt.iterations) == 3


def test_build_is_idempotent():
    params = _params((2, 3), (3,))
    opt = optimizers.Adam()
    opt.build(params)
    first = list(opt.variables)
    opt.build(params)
    assert len(opt.variables) == len(first)
    assert all(a is b for a, b in zip(first, opt.variables))


def test_adam_variables_are_interleaved_per_parameter_as_keras():
    params = _params((2, 3), (3,))
    opt = optimizers.Adam(amsgrad=True)
    opt.build(params)
    assert [tuple(v.shape) for v in opt.variables] == [
        (),
        (),
        (2, 3),
        (2, 3),
        (3,),
        (3,),
        (2, 3),
        (3,),
    ]
    assert opt.variables[0].dtype == torch.int64
    assert opt.variables[1].dtype == torch.float32
    assert opt.variable_slots() == [
        ("iteration", None),
        ("learning_rate", None),
        ("momentum", 0),
        ("velocity", 0),
        ("momentum", 1),
        ("velocity", 1),
        ("velocity_hat", 0),
        ("velocity_hat", 1),
    ]


def test_slots_follow_the_parameter_dtype():
    params = _params((2,), dtype=torch.float64)
    opt = optimizers.Adam()
    opt.build(params)
    assert opt.variables[2].dtype == torch.float64


def test_sgd_without_momentum_has_no_slots():
    opt = optimizers.SGD()
    opt.build(_params((2,)))
    assert len(opt.variables) == 2


def test_get_and_set_weights():
    params = _params((2,))
    source = optimizers.Adam()
    source.apply(_grads(params), params)
    weights = source.get_weights()
    assert [w.shape for w in weights] == [(), (), (2,), (2,)]

    target = optimizers.Adam()
    other = [params[0].detach().clone()]
    target.build(other)
    target.set_weights(weights)
    for a, b in zip(source.variables, target.variables):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    # The restored step count drives the next step's bias correction.
    source.apply(_grads(params), params)
    target.apply(_grads(other), other)
    np.testing.assert_array_equal(params[0].detach().numpy(), other[0].detach().numpy())


def test_set_weights_before_build_and_with_wrong_shape():
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match="has not yet been built"):
        opt.set_weights([])
    opt.build(_params((2,)))
    with pytest.raises(
        ValueError, match=r"has shape \(2,\) not compatible with provided weight shape \(3,\)"
    ):
        opt.set_weights([np.array(0), np.array(0.1, "float32"), np.zeros(3), np.zeros(2)])


# ----------------------------------------------------------------------------- apply


def test_apply_updates_in_place_without_building_a_graph():
    params = _params((2,))
    before = params[0]
    opt = optimizers.SGD(learning_rate=0.1)
    opt.apply(_grads(params, 1.0), params)
    assert params[0] is before
    assert params[0].grad_fn is None and params[0].requires_grad


def test_apply_gradients_returns_iterations():
    params = _params((2,))
    opt = optimizers.SGD()
    result = opt.apply_gradients(zip(_grads(params), params))
    assert int(result) == 1


def test_none_gradients_are_skipped_with_keras_warning():
    params = _params((2,), (3,))
    opt = optimizers.SGD(learning_rate=0.1)
    with pytest.warns(UserWarning, match="Gradients do not exist for variables"):
        opt.apply([None, torch.ones(3)], params)
    np.testing.assert_array_equal(params[0].detach().numpy(), [1.0, 1.0])
    np.testing.assert_allclose(params[1].detach().numpy(), 0.9)


def test_all_none_gradients_is_an_error():
    params = _params((2,))
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        optimizers.SGD().apply([None], params)


def test_empty_gradients_are_a_no_op():
    opt = optimizers.SGD()
    opt.apply([], [])
    assert int(opt.iterations) == 0


def test_unknown_variable_is_an_error():
    opt = optimizers.SGD()
    opt.build(_params((2,)))
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply([torch.ones(2)], _params((2,)))


def test_apply_without_variables_needs_a_built_optimizer():
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([torch.ones(2)])
    params = _params((2,))
    opt.build(params)
    opt.apply(_grads(params, 1.0))
    np.testing.assert_allclose(params[0].detach().numpy(), 0.99)


def test_gradient_shape_mismatch_names_both_shapes():
    params = _params((2,))
    with pytest.raises(ValueError, match=r"gradient shape \(3,\) does not match the shape \(2,\)"):
        optimizers.SGD().apply([torch.ones(3)], params)


def test_non_float_variable_is_a_type_error():
    with pytest.raises(TypeError, match="expects floating point torch tensors"):
        optimizers.SGD().build([torch.ones(2, dtype=torch.int64)])


def test_a_subset_of_the_built_variables_can_be_updated():
    params = _params((2,), (3,))
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.5)
    opt.build(params)
    opt.apply([torch.ones(3)], [params[1]])
    np.testing.assert_array_equal(params[0].detach().numpy(), [1.0, 1.0])
    np.testing.assert_allclose(params[1].detach().numpy(), 0.9)


def test_sparse_gradients_are_densified():
    params = _params((3,))
    grad = torch.sparse_coo_tensor([[1]], [2.0], (3,), check_invariants=True)
    optimizers.SGD(learning_rate=0.5).apply([grad], params)
    np.testing.assert_allclose(params[0].detach().numpy(), [1.0, 0.0, 1.0])


def test_mixed_dtypes_are_updated_per_group():
    params = [torch.ones(2, dtype=torch.float64), torch.ones(2, dtype=torch.float32)]
    opt = optimizers.Adam(learning_rate=0.1)
    opt.apply([torch.ones(2, dtype=torch.float64), torch.ones(2)], params)
    np.testing.assert_allclose(params[0].numpy(), params[1].numpy(), rtol=1e-6)
    assert params[0].dtype == torch.float64


# ----------------------------------------------------------------------------- clipping, decay


def test_clipnorm_clips_each_gradient_separately():
    params = _params((2,), (2,))
    opt = optimizers.SGD(learning_rate=1.0, clipnorm=1.0)
    opt.apply([torch.tensor([3.0, 4.0]), torch.tensor([0.3, 0.4])], params)
    np.testing.assert_allclose(params[0].detach().numpy(), [1 - 0.6, 1 - 0.8], rtol=1e-6)
    np.testing.assert_allclose(params[1].detach().numpy(), [1 - 0.3, 1 - 0.4], rtol=1e-6)


def test_global_clipnorm_scales_all_gradients_together():
    params = _params((1,), (1,))
    opt = optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0)
    opt.apply([torch.tensor([3.0]), torch.tensor([4.0])], params)
    np.testing.assert_allclose(params[0].detach().numpy(), [1 - 0.6], rtol=1e-6)
    np.testing.assert_allclose(params[1].detach().numpy(), [1 - 0.8], rtol=1e-6)


def test_global_clipnorm_turns_infinite_gradients_into_nan_like_keras():
    params = _params((1,), (1,))
    opt = optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0)
    opt.apply([torch.tensor([float("inf")]), torch.tensor([1.0])], params)
    assert torch.isnan(params[1]).all()


def test_clipvalue():
    params = _params((3,))
    opt = optimizers.SGD(learning_rate=1.0, clipvalue=0.5)
    opt.apply([torch.tensor([-2.0, 0.1, 2.0])], params)
    np.testing.assert_allclose(params[0].detach().numpy(), [1.5, 0.9, 0.5], rtol=1e-6)


def test_clipping_does_not_touch_the_callers_gradients():
    params = _params((2,))
    grad = torch.tensor([3.0, 4.0])
    optimizers.SGD(clipnorm=1.0).apply([grad], params)
    np.testing.assert_array_equal(grad.numpy(), [3.0, 4.0])


def test_decoupled_weight_decay_happens_before_the_update():
    params = [torch.tensor([2.0])]
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.apply([torch.tensor([1.0])], params)
    np.testing.assert_allclose(params[0].numpy(), [2.0 * (1 - 0.5 * 0.1) - 0.1], rtol=1e-6)


def test_exclude_from_weight_decay_by_variable_and_by_name():
    dense = kerasish.layers.Dense(2)
    dense.build((None, 3))
    variables = list(dense.trainable_variables)
    kernel, bias = variables
    opt = optimizers.SGD(learning_rate=1.0, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    kernel_before = kernel.tensor.detach().clone()
    with torch.no_grad():
        bias.tensor.fill_(1.0)
    opt.apply([torch.zeros_like(kernel.tensor), torch.zeros_like(bias.tensor)], variables)
    np.testing.assert_allclose(kernel.tensor.detach().numpy(), 0.5 * kernel_before.numpy())
    np.testing.assert_array_equal(bias.tensor.detach().numpy(), [1.0, 1.0])

    params = _params((1,), (1,))
    opt = optimizers.SGD(learning_rate=1.0, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[params[0]])
    opt.apply([torch.zeros(1), torch.zeros(1)], params)
    np.testing.assert_array_equal(params[0].detach().numpy(), [1.0])
    np.testing.assert_array_equal(params[1].detach().numpy(), [0.5])


def test_constraints_of_kerasish_variables_are_applied_after_the_update():
    dense = kerasish.layers.Dense(2, kernel_constraint="non_neg")
    dense.build((None, 3))
    variables = list(dense.trainable_weights)
    opt = optimizers.SGD(learning_rate=10.0)
    opt.apply([torch.ones_like(v.tensor) for v in variables], variables)
    assert (variables[0].tensor >= 0).all()
    assert (variables[1].tensor < 0).all()  # the bias has no constraint


def test_loss_scale_factor_unscales_gradients():
    params = _params((1,))
    opt = optimizers.SGD(learning_rate=1.0, loss_scale_factor=4.0)
    assert float(opt.scale_loss(torch.tensor(2.0))) == 8.0
    opt.apply([torch.tensor([4.0])], params)
    np.testing.assert_allclose(params[0].detach().numpy(), [0.0])


# ----------------------------------------------------------------------------- EMA, accumulation


def test_gradient_accumulation_averages_and_steps_every_n_calls():
    params = _params((1,))
    opt = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=2)
    opt.apply([torch.tensor([1.0])], params)
    np.testing.assert_array_equal(params[0].detach().numpy(), [1.0])
    assert int(opt.iterations) == 0
    opt.apply([torch.tensor([3.0])], params)
    np.testing.assert_allclose(params[0].detach().numpy(), [1.0 - 2.0])
    assert int(opt.iterations) == 1
    opt.apply([torch.tensor([5.0])], params)
    np.testing.assert_allclose(params[0].detach().numpy(), [-1.0])
    assert int(opt._iterations) == 3


def test_ema_tracks_the_average_and_finalize_overwrites():
    params = [torch.tensor([0.0])]
    opt = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    opt.apply([torch.tensor([-1.0])], params)  # p = 1, first step: average = p
    opt.apply([torch.tensor([-1.0])], params)  # p = 2, average = 0.5*1 + 0.5*2
    average = opt.variables[2]
    np.testing.assert_allclose(average.numpy(), [1.5])
    opt.finalize_variable_values(params)
    np.testing.assert_allclose(params[0].numpy(), [1.5])


def test_ema_overwrite_frequency():
    params = [torch.tensor([0.0])]
    opt = optimizers.SGD(
        learning_rate=1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2
    )
    opt.apply([torch.tensor([-1.0])], params)
    np.testing.assert_allclose(params[0].numpy(), [1.0])
    opt.apply([torch.tensor([-1.0])], params)
    np.testing.assert_allclose(params[0].numpy(), [1.5])


def test_step_counter_is_reread_after_assignment():
    params = _params((1,))
    opt = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=2)
    opt.build(params)
    opt.iterations = torch.tensor(1)
    opt.apply([torch.tensor([2.0])], params)  # step 2 of 2: updates
    np.testing.assert_allclose(params[0].detach().numpy(), [0.0])


# ----------------------------------------------------------------------------- no host sync


_NO_SYNC_CASES = [
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adam", {"amsgrad": True}),
    ("AdamW", {}),
    ("Adagrad", {}),
    ("Adadelta", {}),
    ("Adamax", {}),
    ("Nadam", {}),
    ("Ftrl", {"beta": 0.1, "l1_regularization_strength": 0.1}),
    ("Lion", {}),
    (
        "Adam",
        {
            "clipnorm": 1.0,
            "use_ema": True,
            "ema_overwrite_frequency": 2,
            "gradient_accumulation_steps": 2,
            "loss_scale_factor": 2.0,
            "decay": 0.1,
            "weight_decay": 0.01,
        },
    ),
    ("SGD", {"global_clipnorm": 1.0}),
    ("SGD", {"clipvalue": 1.0}),
]


@pytest.mark.parametrize("name,kwargs", _NO_SYNC_CASES)
def test_apply_never_reads_a_device_value_on_the_host(name, kwargs):
    """On the meta device any `.item()`/`float()`/`bool()` of a tensor raises, so a step that runs
    there takes no host sync on CUDA either."""
    params = [torch.zeros(3, 4, device="meta"), torch.zeros(4, device="meta")]
    opt = getattr(optimizers, name)(**kwargs)
    for _ in range(4):
        opt.apply([torch.ones(3, 4, device="meta"), torch.ones(4, device="meta")], params)
    assert opt.iterations.device.type == "meta"
    assert all(v.device.type == "meta" for v in opt.variables)


@pytest.mark.parametrize(
    "schedule",
    [
        optimizers.schedules.ExponentialDecay(0.1, 3, 0.5, staircase=True),
        optimizers.schedules.PiecewiseConstantDecay([2, 4], [0.1, 0.01, 0.001]),
        optimizers.schedules.PolynomialDecay(0.1, 3, cycle=True),
        optimizers.schedules.InverseTimeDecay(0.1, 3, 0.5),
        optimizers.schedules.CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=3),
        optimizers.schedules.CosineDecayRestarts(0.1, 3),
    ],
)
def test_schedules_inside_apply_take_no_host_sync(schedule):
    params = [torch.zeros(3, device="meta")]
    opt = optimizers.SGD(learning_rate=schedule, weight_decay=0.1)
    for _ in range(3):
        opt.apply([torch.ones(3, device="meta")], params)


def test_a_plain_loop_trains_a_model():
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
    layer = torch.nn.Linear(3, 1)
    params = list(layer.parameters())
    opt = optimizers.Adam(learning_rate=0.05)
    for _ in range(300):
        loss = torch.nn.functional.mse_loss(layer(x), y)
        for p in params:
            p.grad = None
        loss.backward()
        opt.apply([p.grad for p in params], params)
    assert loss.item() < 1e-3


def test_a_copied_optimizer_updates_the_copied_variables():
    import copy

    params = [torch.ones(3)]
    opt = optimizers.SGD(learning_rate=0.5)
    opt.apply([torch.ones(3)], params)
    twin_params, twin = copy.deepcopy((params, opt))
    twin.apply([torch.ones(3)], twin_params)
    assert twin_params[0].tolist() == [0.0, 0.0, 0.0]
    assert params[0].tolist() == [0.5, 0.5, 0.5]


def test_a_deep_copy_keeps_the_weight_decay_exclusions():
    import copy

    params = _params((1,), (1,))
    opt = optimizers.SGD(learning_rate=1.0, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[params[0]])
    params_copy, opt_copy = copy.deepcopy((params, opt))
    opt_copy.apply([torch.zeros(1), torch.zeros(1)], params_copy)
    np.testing.assert_array_equal(params_copy[0].detach().numpy(), [1.0])
    np.testing.assert_array_equal(params_copy[1].detach().numpy(), [0.5])
