"""Keras optimizers on torch tensors: Keras' update formulas and defaults, foreach kernels.

``optimizer.apply(grads, params)`` updates the parameters in place without reading any device
value on the host, so it can run every step of a CUDA training loop without a sync.
"""

from kerasish.optimizers import schedules
from kerasish.optimizers.adadelta import Adadelta
from kerasish.optimizers.adafactor import Adafactor
from kerasish.optimizers.adagrad import Adagrad
from kerasish.optimizers.adam import Adam
from kerasish.optimizers.adamax import Adamax
from kerasish.optimizers.adamw import AdamW
from kerasish.optimizers.base import Optimizer
from kerasish.optimizers.ftrl import Ftrl
from kerasish.optimizers.lamb import Lamb
from kerasish.optimizers.lion import Lion
from kerasish.optimizers.loss_scale_optimizer import LossScaleOptimizer
from kerasish.optimizers.muon import Muon
from kerasish.optimizers.nadam import Nadam
from kerasish.optimizers.rmsprop import RMSprop
from kerasish.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from kerasish.optimizers.serialization import deserialize, get, serialize
from kerasish.optimizers.sgd import SGD

__all__ = [
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lamb",
    "Lion",
    "LossScaleOptimizer",
    "Muon",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "ScheduleFreeAdamW",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]
