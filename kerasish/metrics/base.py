"""Metric: running state updated batch by batch, read with ``result()``.

Two constraints shape this class:

* **State lives where the data is.** A metric is created at ``compile`` time, before anyone
  knows the model's device. Its state tensors start on the CPU and move, once, to the device of
  the first tensor ``update_state`` receives (a model on CUDA keeps its metrics on CUDA).
* **Updates never sync with the host.** State is only combined with tensor ops (Python numbers
  join as scalars, never as freshly copied device tensors), and ``result()`` returns a tensor.
  Reading a number is left to the caller, e.g. a progress bar a few times per second.

Every ``update_state`` (built-in or user-written) is wrapped, at class creation, to follow the
device and to run under ``torch.no_grad()``: metrics never join the autograd graph.

State handles are ``MetricVariable``s, which behave like Keras variables (``assign``,
``assign_add``, ``numpy()``) and like tensors in torch ops and arithmetic, so Keras-style custom
metrics (``self.tp = self.add_variable(...)``; ``self.tp.assign_add(...)``) run unchanged.
"""

from __future__ import annotations

import functools
import operator
from typing import Any, Optional, Sequence

import numpy as np
import torch

from kerasish import backend, initializers
from kerasish.losses import as_tensor
from kerasish.utils import tree


def _unwrap(x: Any) -> Any:
    return x._value if isinstance(x, MetricVariable) else x


class MetricVariable:
    """One piece of metric state. Updates replace the tensor rather than writing into it, so a
    state first touched under ``torch.inference_mode`` stays usable outside it."""

    __slots__ = ("name", "_value")

    def __init__(self, value: torch.Tensor, name: Optional[str] = None) -> None:
        self._value = value
        self.name = name

    @property
    def value(self) -> torch.Tensor:
        return self._value

    @property
    def shape(self) -> tuple:
        return tuple(self._value.shape)

    @property
    def dtype(self) -> torch.dtype:
        return self._value.dtype

    @property
    def device(self) -> torch.device:
        return self._value.device

    def _cast(self, value: Any) -> Any:
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, (bool, int, float)):
            return value if self._value.is_floating_point() else int(value)
        return as_tensor(_unwrap(value), self._value.dtype, self._value.device)

    def assign(self, value: Any) -> MetricVariable:
        new = self._cast(value)
        if not isinstance(new, torch.Tensor):
            new = torch.full_like(self._value, new)
        elif new.shape != self._value.shape:
            new = new.broadcast_to(self._value.shape).clone()
        elif new is _unwrap(value):  # never alias the caller's tensor
            new = new.clone()
        self._value = new
        return self

    def assign_add(self, value: Any) -> MetricVariable:
        self._value = self._value + self._cast(value)
        return self

    def assign_sub(self, value: Any) -> MetricVariable:
        self._value = self._value - self._cast(value)
        return self

    def _move_to(self, device: torch.device) -> None:
        self._value = self._value.to(device)

    def numpy(self) -> np.ndarray:
        return self._value.detach().cpu().numpy()

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return func(*tree.map_structure(_unwrap, args), **tree.map_structure(_unwrap, kwargs or {}))

    def __getitem__(self, index):
        return self._value[index]

    def __len__(self) -> int:
        return len(self._value)

    def __neg__(self):
        return -self._value

    def __abs__(self):
        return abs(self._value)

    def __float__(self) -> float:
        return float(self._value)

    def __repr__(self) -> str:
        return f"<MetricVariable name={self.name} shape={self.shape} dtype={self.dtype}>"


def _add_operator(name: str, op) -> None:
    setattr(MetricVariable, f"__{name}__", lambda self, other: op(self._value, _unwrap(other)))
    setattr(MetricVariable, f"__r{name}__", lambda self, other: op(_unwrap(other), self._value))


for _name, _op in {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "floordiv": operator.floordiv, "pow": operator.pow, "mod": operator.mod,
    "matmul": operator.matmul, "and": operator.and_, "or": operator.or_,
}.items():  # fmt: skip
    _add_operator(_name, _op)
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(
        MetricVariable,
        f"__{_name}__",
        (lambda op: lambda self, other: op(self._value, _unwrap(other)))(getattr(operator, _name)),
    )
MetricVariable.__hash__ = object.__hash__


def _first_device(args: Sequence[Any]) -> Optional[torch.device]:
    """The device of the predictions (or of the first tensor argument)."""
    for x in reversed(args[:2]):
        if isinstance(x, torch.Tensor):
            return x.device
    return None


def _following_device(update_state):
    @functools.wraps(update_state)
    def wrapped(self, *args, **kwargs):
        device = _first_device(args)
        if device is not None and device != self._device:
            self._move_to(device)
        with torch.no_grad():
            return update_state(self, *args, **kwargs)

    wrapped._follows_device = True
    return wrapped


class Metric:
    """Base class: ``update_state(...)`` accumulates, ``result()`` reads, ``reset_state()``
    clears. Subclasses create state with ``add_variable`` in ``__init__``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        update_state = cls.__dict__.get("update_state")
        if update_state is not None and not getattr(update_state, "_follows_device", False):
            cls.update_state = _following_device(update_state)

    def __init__(self, name: Optional[str] = None, dtype: Any = None) -> None:
        self._name = name or backend.unique_object_name(backend.to_snake_case(type(self).__name__))
        self._dtype = backend.standardize_dtype(dtype)
        self._variables: list[MetricVariable] = []
        self._metrics: list[Metric] = []
        self._constants: dict[str, torch.Tensor] = {}
        self._device = torch.device("cpu")

    def __setattr__(self, key: str, value: Any) -> None:
        if isinstance(value, Metric) and "_metrics" in self.__dict__ and key != "_metrics":
            self._metrics.append(value)
        object.__setattr__(self, key, value)

    # ---------------------------------------------------------------- identity

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def _torch_dtype(self) -> torch.dtype:
        return backend.torch_dtype(self._dtype)

    # ---------------------------------------------------------------- state

    def add_variable(
        self,
        shape: Sequence[int] = (),
        initializer: Any = "zeros",
        dtype: Any = None,
        aggregation: str = "sum",
        name: Optional[str] = None,
    ) -> MetricVariable:
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                "You forgot to call `super().__init__()` in the `__init__()` method. Go add it!"
            )
        dtype = backend.torch_dtype(dtype or self._dtype)
        value = initializers.get(initializer or "zeros")(tuple(shape), dtype)
        variable = MetricVariable(torch.as_tensor(value, dtype=dtype).to(self._device), name)
        self._variables.append(variable)
        return variable

    def add_weight(self, *args: Any, **kwargs: Any) -> MetricVariable:
        """Keras 3's ``add_weight(shape=(), initializer=None, dtype=None, name=None)``, and
        tf.keras' ``add_weight(name, shape=(), aggregation=..., synchronization=...,
        initializer=None, dtype=None)`` whose first argument is the name."""
        if args and isinstance(args[0], str):
            kwargs["name"], args = args[0], args[1:]
        kwargs.pop("synchronization", None)
        return self.add_variable(*args, **kwargs)

    @property
    def variables(self) -> list[MetricVariable]:
        found = list(self._variables)
        for metric in self._metrics:
            found.extend(metric.variables)
        return found

    def _add_constant(self, name: str, value: Any, dtype: Optional[torch.dtype] = None) -> None:
        """A fixed tensor the updates need (thresholds...), kept on the state's device so no
        update copies it from the host."""
        self._constants[name] = torch.as_tensor(
            np.asarray(value), dtype=dtype or self._torch_dtype
        ).to(self._device)

    def _move_to(self, device: torch.device) -> None:
        for variable in self._variables:
            variable._move_to(device)
        for key, value in self._constants.items():
            self._constants[key] = value.to(device)
        self._device = device

    # ---------------------------------------------------------------- protocol

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement `update_state`.")

    def result(self) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement `result`.")

    def reset_state(self) -> None:
        for variable in self.variables:
            variable.assign(torch.zeros_like(variable.value))

    def reset_states(self) -> None:
        """Keras 2's name for ``reset_state``."""
        self.reset_state()

    def __call__(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> Metric:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"
