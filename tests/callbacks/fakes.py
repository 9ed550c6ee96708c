"""Stand-ins for a model and for device tensors, to drive callbacks by hand."""

from __future__ import annotations

import json
import os

import numpy as np
import torch


class FakeOptimizer:
    def __init__(self, learning_rate: float = 0.01, name: str = "sgd") -> None:
        self.learning_rate = learning_rate
        self.name = name


class FakeModel:
    """What callbacks use of a model: stop_training, optimizer, weights, save and load."""

    def __init__(self, learning_rate: float = 0.01) -> None:
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.built = True
        self.weights = [np.zeros(2)]
        self.calls: list[tuple] = []

    def get_weights(self) -> list:
        return [w.copy() for w in self.weights]

    def set_weights(self, weights) -> None:
        self.calls.append(("set_weights",))
        self.weights = [np.array(w) for w in weights]

    def save(self, filepath, overwrite=True) -> None:
        self.calls.append(("save", filepath))
        with open(filepath, "w") as f:
            f.write("model")

    def save_weights(self, filepath, overwrite=True) -> None:
        self.calls.append(("save_weights", filepath))
        with open(filepath, "w") as f:
            json.dump([w.tolist() for w in self.weights], f)

    def load_weights(self, filepath) -> None:
        self.calls.append(("load_weights", filepath))
        with open(filepath) as f:
            try:
                self.weights = [np.array(w) for w in json.load(f)]
            except ValueError as err:
                raise OSError(f"unreadable weights file {filepath}") from err

    def saved_paths(self, kind: str) -> list[str]:
        return [os.path.basename(c[1]) for c in self.calls if c[0] == kind]


class CountingTensor(torch.Tensor):
    """A tensor that counts the times its value is read on the host."""

    reads = 0
    _READS = {
        torch.Tensor.item,
        torch.Tensor.tolist,
        torch.Tensor.numpy,
        torch.Tensor.__float__,
        torch.Tensor.__bool__,
    }

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in cls._READS:
            CountingTensor.reads += 1
        return super().__torch_function__(func, types, args, kwargs or {})


def counting(value: float) -> CountingTensor:
    return torch.tensor(value).as_subclass(CountingTensor)
