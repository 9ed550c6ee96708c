"""get/serialize/deserialize and configs, including Keras 2 and tf.keras configs."""

import pytest
import torch

from kerasish import optimizers
from kerasish.saving.registry import register_keras_serializable

ALL = [
    optimizers.SGD,
    optimizers.RMSprop,
    optimizers.Adam,
    optimizers.AdamW,
    optimizers.Adagrad,
    optimizers.Adadelta,
    optimizers.Adamax,
    optimizers.Nadam,
    optimizers.Ftrl,
    optimizers.Lion,
    optimizers.Adafactor,
    optimizers.Lamb,
]

BASE_KEYS = [
    "name",
    "learning_rate",
    "weight_decay",
    "clipnorm",
    "global_clipnorm",
    "clipvalue",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
]


@pytest.mark.parametrize(
    "name,cls",
    [
        ("sgd", optimizers.SGD),
        ("adam", optimizers.Adam),
        ("rmsprop", optimizers.RMSprop),
        ("adamw", optimizers.AdamW),
        ("adagrad", optimizers.Adagrad),
        ("adadelta", optimizers.Adadelta),
        ("adamax", optimizers.Adamax),
        ("nadam", optimizers.Nadam),
        ("ftrl", optimizers.Ftrl),
        ("lion", optimizers.Lion),
        ("adafactor", optimizers.Adafactor),
        ("lamb", optimizers.Lamb),
        ("Adam", optimizers.Adam),
        ("RMSprop", optimizers.RMSprop),
        ("SGD", optimizers.SGD),
    ],
)
def test_get_by_name(name, cls):
    assert type(optimizers.get(name)) is cls


def test_get_instance_none_and_bad_identifiers():
    opt = optimizers.Adam()
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: foo"):
        optimizers.get("foo")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: 3"):
        optimizers.get(3)


@pytest.mark.parametrize("name", ["MultiOptimizer", "multioptimizer"])
def test_keras3_optimizers_not_provided_say_so(name):
    with pytest.raises(NotImplementedError, match="kerasish.optimizers.* is not implemented"):
        optimizers.get(name)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_config_keys_and_round_trip(cls):
    opt = cls(clipnorm=0.5)
    config = opt.get_config()
    assert list(config)[: len(BASE_KEYS)] == BASE_KEYS
    restored = cls.from_config(config)
    assert restored.get_config() == config
    serialized = optimizers.serialize(opt)
    assert serialized["module"] == "keras.optimizers"
    assert serialized["class_name"] == cls.__name__
    assert serialized["registered_name"] is None
    assert optimizers.deserialize(serialized).get_config() == config


def test_schedule_in_config_round_trips():
    schedule = optimizers.schedules.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=5)
    opt = optimizers.Adam(learning_rate=schedule)
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    restored = optimizers.deserialize(optimizers.serialize(opt))
    assert isinstance(restored._learning_rate, optimizers.schedules.CosineDecay)
    assert restored.get_config() == config


def test_keras2_config_with_lr_and_decay():
    """Keras 2.2.5 `training_config` optimizer entries."""
    opt = optimizers.get(
        {
            "class_name": "Adam",
            "config": {
                "lr": 0.0005,
                "beta_1": 0.9,
                "beta_2": 0.999,
                "decay": 0.01,
                "epsilon": 1e-07,
                "amsgrad": False,
            },
        }
    )
    assert opt.learning_rate == pytest.approx(0.0005)
    assert opt.decay == 0.01


def test_keras2_nadam_config():
    opt = optimizers.get(
        {
            "class_name": "Nadam",
            "config": {
                "lr": 0.002,
                "beta_1": 0.9,
                "beta_2": 0.999,
                "epsilon": 1e-07,
                "schedule_decay": 0.004,
            },
        }
    )
    assert opt.schedule_decay == 0.004


def test_tf_keras_configs():
    legacy = optimizers.get(
        {
            "class_name": "SGD",
            "config": {
                "name": "SGD",
                "learning_rate": 0.01,
                "decay": 0.0,
                "momentum": 0.9,
                "nesterov": True,
            },
        }
    )
    assert legacy.momentum == 0.9 and legacy.nesterov and legacy.decay == 0.0
    new = optimizers.get(
        {
            "class_name": "Custom>Adam",
            "config": {
                "name": "Adam",
                "weight_decay": None,
                "clipnorm": None,
                "global_clipnorm": None,
                "clipvalue": None,
                "use_ema": False,
                "ema_momentum": 0.99,
                "ema_overwrite_frequency": None,
                "jit_compile": True,
                "is_legacy_optimizer": False,
                "learning_rate": 0.001,
                "beta_1": 0.9,
                "beta_2": 0.999,
                "epsilon": 1e-07,
                "amsgrad": False,
            },
        }
    )
    assert type(new) is optimizers.Adam and new.name == "Adam"
    assert type(optimizers.get("ExperimentalAdam")) is optimizers.Adam


def test_tf_keras_schedule_in_config():
    opt = optimizers.get(
        {
            "class_name": "SGD",
            "config": {
                "learning_rate": {
                    "class_name": "ExponentialDecay",
                    "config": {
                        "initial_learning_rate": 0.1,
                        "decay_steps": 10,
                        "decay_rate": 0.9,
                        "staircase": False,
                        "name": None,
                    },
                }
            },
        }
    )
    assert isinstance(opt._learning_rate, optimizers.schedules.ExponentialDecay)


def test_keras3_still_rejects_unknown_config_keys():
    with pytest.raises(ValueError, match="Argument\\(s\\) not recognized"):
        optimizers.get({"class_name": "Adam", "config": {"momentum": 0.9}})


def test_registered_custom_optimizer_round_trip():
    @register_keras_serializable(package="Tests")
    class HalfSGD(optimizers.SGD):
        def _parallel_update_step(self, grads, variables, learning_rate, indices):
            super()._parallel_update_step(grads, variables, learning_rate * 0.5, indices)

    opt = HalfSGD(learning_rate=1.0)
    serialized = optimizers.serialize(opt)
    assert serialized["registered_name"] == "Tests>HalfSGD"
    restored = optimizers.deserialize(serialized)
    assert type(restored) is HalfSGD
    params = [torch.zeros(1)]
    restored.apply([torch.ones(1)], params)
    assert float(params[0]) == -0.5


def test_keras_style_per_variable_update_step():
    """A custom optimizer written the Keras way (build + update_step) works on torch tensors."""

    class SignSGD(optimizers.Optimizer):
        def __init__(self, learning_rate=0.1, **kwargs):
            super().__init__(learning_rate=learning_rate, **kwargs)

        def build(self, variables):
            if self.built:
                return
            super().build(variables)
            self.counts = self.add_optimizer_variables(variables, "count")

        def update_step(self, gradient, variable, learning_rate):
            self.counts[self._get_variable_index(variable)].add_(1)
            variable.sub_(learning_rate * torch.sign(gradient))

    params = [torch.zeros(2)]
    opt = SignSGD()
    opt.apply([torch.tensor([3.0, -2.0])], params)
    assert params[0].tolist() == pytest.approx([-0.1, 0.1])
    assert opt.variables[-1].tolist() == [1.0, 1.0]


def test_base_optimizer_without_update_rule():
    opt = optimizers.Optimizer(learning_rate=0.1)
    with pytest.raises(NotImplementedError, match="must implement `update_step"):
        opt.apply([torch.ones(1)], [torch.zeros(1)])
