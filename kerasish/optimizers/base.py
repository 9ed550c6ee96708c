"""The optimizer base class: Keras 3's ``BaseOptimizer`` bookkeeping on plain torch tensors.

Everything that Keras' torch backend does around an update lives here, in its order: drop
missing gradients, unscale (``loss_scale_factor``), accumulate (``gradient_accumulation_steps``),
clip, decoupled weight decay (``p *= 1 - wd * lr``), the subclass' update, the moving average
(EMA), then ``iterations += 1``.

Nothing in ``apply`` reads a device value on the host: ``iterations`` and the learning rate are
0-dim device tensors, schedules are evaluated with tensor ops, and the only decisions taken in
Python (accumulation and EMA overwrite steps) use a host-side copy of the step counter, which is
re-read from the device only after someone assigns the counter.

Slots are created in the torch layout of the parameter they follow (a Dense kernel's momentum is
``(out, in)``); ``variable_slots()`` says which parameter each entry of ``variables`` belongs to,
so a file writer can convert them to Keras layout.
"""

from __future__ import annotations

import numbers
import re
import warnings
from typing import Any, Iterable, Optional, Sequence, Union

import numpy as np
import torch

from kerasish import backend
from kerasish.optimizers import clipping
from kerasish.optimizers import schedules as schedules_module
from kerasish.variables import Variable

# Keys that tf.keras writes into optimizer configs for its own machinery only.
_TF_KERAS_ONLY_CONFIG_KEYS = ("is_legacy_optimizer", "jit_compile")


class Optimizer:
    """Base class. Subclasses create slots in ``build`` and implement ``_parallel_update_step``
    (all variables of one device and dtype at once) or Keras' per-variable ``update_step``."""

    def __init__(
        self,
        learning_rate: Any,
        weight_decay: Optional[float] = None,
        clipnorm: Optional[float] = None,
        clipvalue: Optional[float] = None,
        global_clipnorm: Optional[float] = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: Optional[int] = None,
        loss_scale_factor: Optional[float] = None,
        gradient_accumulation_steps: Optional[int] = None,
        name: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        # Keras 2 spellings: `lr` wins over `learning_rate` (as in tf.keras), `decay` is the
        # time-based decay lr / (1 + decay * iterations).
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
        decay = kwargs.pop("decay", None)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if decay is not None and decay < 0.0:
            raise ValueError(f"decay cannot be less than 0. Received: decay={decay}.")
        self.decay = float(decay) if decay else 0.0

        self.name = name or backend.unique_object_name(backend.to_snake_case(type(self).__name__))
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. "
                f"Received: gradient_accumulation_steps={gradient_accumulation_steps}"
            )
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(
                    f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}"
                )
            if ema_overwrite_frequency and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. "
                    f"Received: ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )

        self.built = False
        self._iterations = torch.zeros((), dtype=torch.int64)
        self._host_iterations: Optional[int] = 0
        self._learning_rate: Any = self._new_learning_rate(learning_rate)

        self._trainable_variables: list[torch.Tensor] = []
        self._given_variables: list[Any] = []
        self._variable_index: dict[int, int] = {}
        self._group_keys: list[tuple] = []
        self._single_group = True
        self._slot_tensors: list[torch.Tensor] = []
        self._slot_info: list[tuple[str, Optional[int]]] = []
        self._excluded: list[torch.Tensor] = []
        self._exclude_pattern: Optional[re.Pattern] = None
        self._decay_mask: Optional[list[bool]] = None

    # ----------------------------------------------------------------------------- state

    def _new_learning_rate(self, learning_rate: Any) -> Any:
        if isinstance(learning_rate, schedules_module.LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, torch.Tensor)
        ):
            return learning_rate
        return torch.full((), _as_float(learning_rate), dtype=torch.float32, device=self._device)

    @property
    def _device(self) -> torch.device:
        return self._iterations.device

    @property
    def iterations(self) -> torch.Tensor:
        """Steps taken so far (0-dim int64 device tensor); optimizer steps when accumulating."""
        if self.gradient_accumulation_steps:
            return torch.div(
                self._iterations, self.gradient_accumulation_steps, rounding_mode="floor"
            )
        return self._iterations

    @iterations.setter
    def iterations(self, value: Any) -> None:
        """tf.keras allowed ``optimizer.iterations = n``; this sets the raw step counter."""
        with torch.no_grad():
            if isinstance(value, torch.Tensor):
                self._iterations.copy_(value)
                self._host_iterations = None
            else:
                self._iterations.fill_(int(value))
                self._host_iterations = int(value)

    def _host_step(self) -> int:
        if self._host_iterations is None:  # only after set_weights or a tensor assignment
            self._host_iterations = int(self._iterations.item())
        return self._host_iterations

    @property
    def learning_rate(self) -> Any:
        """The current value: a ``LearningRateHandle`` (a float that can ``assign``), or the
        schedule's current value (a tensor) as in Keras 3."""
        lr = self._learning_rate
        if isinstance(lr, schedules_module.LearningRateSchedule):
            return lr(self._iterations)
        if isinstance(lr, torch.Tensor):
            return LearningRateHandle(lr.item(), self)
        return lr()

    @learning_rate.setter
    def learning_rate(self, learning_rate: Any) -> None:
        if isinstance(learning_rate, schedules_module.LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, torch.Tensor)
        ):
            self._learning_rate = learning_rate
            return
        if isinstance(self._learning_rate, schedules_module.LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not settable. "
                "If you need the learning rate to be settable, you should instantiate the "
                "optimizer with a float `learning_rate` argument."
            )
        if not isinstance(self._learning_rate, torch.Tensor):
            self._learning_rate = self._new_learning_rate(learning_rate)
            return
        with torch.no_grad():
            if isinstance(learning_rate, torch.Tensor):
                self._learning_rate.copy_(learning_rate)  # stays on the device: no sync
            else:
                self._learning_rate.fill_(_as_float(learning_rate))

    lr = learning_rate  # Keras 2 name, same property

    def _current_learning_rate(self) -> torch.Tensor:
        """The learning rate of this step as a 0-dim float32 device tensor."""
        lr = self._learning_rate
        if isinstance(lr, schedules_module.LearningRateSchedule):
            lr = lr(self._iterations)
        elif not isinstance(lr, torch.Tensor):
            lr = lr()
        if not isinstance(lr, torch.Tensor):
            lr = torch.full((), float(lr), dtype=torch.float32, device=self._device)
        if self.decay:
            lr = lr / (1.0 + self.decay * self._iterations.to(lr.dtype))
        return lr

    @property
    def variables(self) -> list[torch.Tensor]:
        """Keras 3's order: iterations, learning_rate (unless a schedule), then the slots in the
        order they were created."""
        head = [self._iterations]
        if isinstance(self._learning_rate, torch.Tensor):
            head.append(self._learning_rate)
        return head + self._slot_tensors

    def variable_slots(self) -> list[tuple[str, Optional[int]]]:
        """For each entry of ``variables``: its Keras name suffix and the index (in the list the
        optimizer was built with) of the parameter whose torch layout it shares, or None for
        state in no parameter's layout (``iterations``, Adafactor's Keras-layout statistics)."""
        head: list[tuple[str, Optional[int]]] = [("iteration", None)]
        if isinstance(self._learning_rate, torch.Tensor):
            head.append(("learning_rate", None))
        return head + self._slot_info

    def get_weights(self) -> list[np.ndarray]:
        return [t.detach().cpu().numpy().copy() for t in self.variables]

    def set_weights(self, weights: Sequence[Any]) -> None:
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. "
                "Please call `optimizer.build(trainable_variables)` to create the optimizer "
                "weights before calling `set_weights()`."
            )
        with torch.no_grad():
            for i, (variable, weight) in enumerate(zip(self.variables, weights)):
                value = torch.as_tensor(
                    np.asarray(weight) if not torch.is_tensor(weight) else weight
                )
                if tuple(variable.shape) != tuple(value.shape):
                    raise ValueError(
                        f"Optimizer variable {i} of '{self.name}' has shape "
                        f"{tuple(variable.shape)} not compatible with provided weight shape "
                        f"{tuple(value.shape)}."
                    )
                variable.copy_(value.to(device=variable.device, dtype=variable.dtype))
        self._host_iterations = None

    # ----------------------------------------------------------------------------- build

    def build(self, variables: Sequence[Any]) -> None:
        """Create the slots for these parameters; a second call does nothing (as in Keras)."""
        if self.built:
            return
        tensors = [self._unwrap(v, i) for i, v in enumerate(variables)]
        if tensors:
            device = tensors[0].device
            if device != self._device:
                self._iterations = self._iterations.to(device)
                if isinstance(self._learning_rate, torch.Tensor):
                    self._learning_rate = self._learning_rate.to(device)
        self._given_variables = list(variables)
        self._trainable_variables = tensors
        self._variable_index = {id(t): i for i, t in enumerate(tensors)}
        self._group_keys = [(t.device, t.dtype) for t in tensors]
        self._single_group = len(set(self._group_keys)) <= 1
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(tensors, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(
                tensors, "gradient_accumulator"
            )
        self.built = True

    def _unwrap(self, variable: Any, position: int) -> torch.Tensor:
        tensor = variable.tensor if isinstance(variable, Variable) else variable
        if not isinstance(tensor, torch.Tensor) or not tensor.is_floating_point():
            raise TypeError(
                f"Optimizer '{self.name}' expects floating point torch tensors (or kerasish "
                f"Variables) as variables; received {type(variable).__name__} at position "
                f"{position}" + (f" with dtype {tensor.dtype}." if torch.is_tensor(tensor) else ".")
            )
        return tensor

    def add_variable(
        self,
        shape: Sequence[int],
        initializer: Any = "zeros",
        dtype: Any = None,
        name: Optional[str] = None,
    ) -> torch.Tensor:
        """A new optimizer state tensor on the optimizer's device, tracked in ``variables``."""
        dtype = backend.torch_dtype(dtype)
        template = torch.empty(tuple(shape), dtype=dtype, device=self._device)
        return self._track(_initial_value(template, initializer), name or "variable", None)

    def add_variable_from_reference(
        self, reference_variable: Any, name: Optional[str] = None, initializer: Any = "zeros"
    ) -> torch.Tensor:
        """A state tensor shaped, typed and placed like ``reference_variable`` (torch layout)."""
        reference = self._unwrap(reference_variable, 0)
        value = _initial_value(reference.detach(), initializer)
        return self._track(value, name or "var", self._variable_index.get(id(reference)))

    def add_optimizer_variables(
        self, trainable_variables: Sequence[Any], name: Union[str, list], initializer: Any = "zeros"
    ) -> Any:
        """One slot per variable for each name, created interleaved per variable as Keras does
        (so Adam's ``variables`` read m0, v0, m1, v1, ...)."""
        names = [name] if isinstance(name, str) else list(name)
        if isinstance(name, str) or not isinstance(initializer, (list, tuple)):
            initializers = [initializer] * len(names)
        else:
            initializers = list(initializer)
        if len(names) != len(initializers):
            raise ValueError(
                f"The number of names ({len(names)}) must match the number of initializers "
                f"({len(initializers)})."
            )
        slots: tuple[list, ...] = tuple([] for _ in names)
        for variable in trainable_variables:
            for i, (slot_name, init) in enumerate(zip(names, initializers)):
                slots[i].append(self.add_variable_from_reference(variable, slot_name, init))
        return slots[0] if isinstance(name, str) else slots

    def _track(self, tensor: torch.Tensor, name: str, reference: Optional[int]) -> torch.Tensor:
        self._slot_tensors.append(tensor)
        self._slot_info.append((name, reference))
        return tensor

    def __setstate__(self, state: dict) -> None:
        # Copies and unpickled optimizers hold new tensors: re-key the index by their ids.
        self.__dict__.update(state)
        self._variable_index = {id(t): i for i, t in enumerate(self._trainable_variables)}

    def _get_variable_index(self, variable: Any) -> int:
        tensor = variable.tensor if isinstance(variable, Variable) else variable
        index = self._variable_index.get(id(tensor))
        if index is None:
            raise ValueError(
                f"Unknown variable: {_describe(variable)}. This optimizer can only be called for "
                "the variables it was originally built with. When working with a new set of "
                "variables, you should recreate a new optimizer instance."
            )
        return index

    # ----------------------------------------------------------------------------- apply

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Any]]) -> torch.Tensor:
        grads, variables = zip(*grads_and_vars)
        self.apply(grads, variables)
        return self._iterations

    def apply(
        self,
        grads: Sequence[Optional[torch.Tensor]],
        trainable_variables: Optional[Sequence[Any]] = None,
    ) -> None:
        """One step in place: the gradient at position i updates variable i."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first. "
                )
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    "When passing `grads` as a list of gradient tensors, the gradients must match "
                    f"`optimizer.variables` one-to-one. Received a list of {len(grads)} "
                    f"gradients, but the optimizer is tracking {len(self._trainable_variables)} "
                    "trainable variables."
                )
            given: Sequence[Any] = self._given_variables
            indices = list(range(len(grads)))
        else:
            given = list(trainable_variables)
            if len(given) != len(grads):
                raise ValueError(
                    f"Optimizer '{self.name}' received {len(grads)} gradients for "
                    f"{len(given)} variables; they must match one-to-one."
                )
            if not self.built:
                self.build(given)
            indices = [self._get_variable_index(v) for v in given]
            grads = [_torch_layout(g, v) for g, v in zip(grads, given)]
        with torch.no_grad():
            self._apply(grads, indices, given)

    def _apply(self, grads: list, indices: list[int], given: Sequence[Any]) -> None:
        present, missing = [], []
        for position, grad in enumerate(grads):
            (missing if grad is None else present).append(position)
        if not present:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {[_describe(given[p]) for p in missing]} "
                "when minimizing the loss. If using `model.compile()`, did you forget to provide "
                "a `loss` argument?",
                stacklevel=3,
            )
        indices = [indices[p] for p in present]
        grads = [self._dense_like(grads[p], indices[k]) for k, p in enumerate(present)]
        if self.loss_scale_factor is not None:
            grads = torch._foreach_div(grads, self.loss_scale_factor)

        steps = self.gradient_accumulation_steps
        if steps:
            accumulators = [self._accumulated_gradients[i] for i in indices]
            if (self._host_step() + 1) % steps == 0:
                grads = torch._foreach_div(torch._foreach_add(grads, accumulators), steps)
                self._clip_decay_update(grads, indices)
                torch._foreach_zero_(self._accumulated_gradients)
            else:
                torch._foreach_add_(accumulators, grads)
        else:
            self._clip_decay_update(grads, indices)

        if self.use_ema:
            self._update_model_variables_moving_average()
            frequency = self.ema_overwrite_frequency
            if frequency:
                optimizer_steps = self._host_step() // (steps or 1)
                if (optimizer_steps + 1) % frequency == 0:
                    self._overwrite_model_variables_with_average_value(self._trainable_variables)
        for position in present:
            variable = given[position]
            if isinstance(variable, Variable) and variable.constraint is not None:
                variable.assign(variable.constraint(variable.value))
        self._iterations.add_(1)
        if self._host_iterations is not None:
            self._host_iterations += 1

    def _dense_like(self, grad: torch.Tensor, index: int) -> torch.Tensor:
        variable = self._trainable_variables[index]
        if grad.layout != torch.strided:
            grad = grad.to_dense()
        if grad.dtype != variable.dtype:
            grad = grad.to(variable.dtype)
        if grad.shape != variable.shape:
            raise ValueError(
                f"Optimizer '{self.name}': gradient shape {tuple(grad.shape)} does not match the "
                f"shape {tuple(variable.shape)} of variable {index}."
            )
        return grad

    def _clip_decay_update(self, grads: list, indices: list[int]) -> None:
        grads = self._clip_gradients(grads)
        learning_rate = self._current_learning_rate()
        self._apply_weight_decay(indices, learning_rate)
        self._before_update_step()
        for group_indices, group_grads in self._groups(indices, grads):
            variables = [self._trainable_variables[i] for i in group_indices]
            lr = learning_rate.to(device=variables[0].device, dtype=variables[0].dtype)
            self._parallel_update_step(group_grads, variables, lr, group_indices)

    def _groups(self, indices: list[int], tensors: list) -> list[tuple[list[int], list]]:
        """Split by (device, dtype): foreach kernels and scalar casts work per group."""
        if self._single_group:
            return [(indices, tensors)]
        groups: dict[tuple, tuple[list[int], list]] = {}
        for index, tensor in zip(indices, tensors):
            entry = groups.setdefault(self._group_keys[index], ([], []))
            entry[0].append(index)
            entry[1].append(tensor)
        return list(groups.values())

    def _clip_gradients(self, grads: list) -> list:
        if self.clipnorm and self.clipnorm > 0:
            return clipping.clip_by_norm(grads, self.clipnorm)
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clipping.clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return clipping.clip_by_value(grads, self.clipvalue)
        return grads

    def _before_update_step(self) -> None:
        """Hook for state shared by all groups of one step (Nadam's momentum product)."""

    def _parallel_update_step(
        self,
        grads: list[torch.Tensor],
        variables: list[torch.Tensor],
        learning_rate: torch.Tensor,
        indices: list[int],
    ) -> None:
        for grad, variable in zip(grads, variables):
            self.update_step(grad, variable, learning_rate)

    def update_step(
        self, gradient: torch.Tensor, variable: torch.Tensor, learning_rate: torch.Tensor
    ) -> None:
        raise NotImplementedError(
            f"Optimizer '{type(self).__name__}' must implement `update_step(gradient, variable, "
            "learning_rate)` (in-place torch ops) or `_parallel_update_step`."
        )

    # ----------------------------------------------------------------------------- weight decay

    def exclude_from_weight_decay(
        self, var_list: Optional[Sequence[Any]] = None, var_names: Optional[Sequence[str]] = None
    ) -> None:
        """Matching by name needs kerasish Variables (plain tensors carry no Keras name)."""
        # The tensors, not their ids: a deep copy of model and optimizer then excludes the copies.
        self._excluded = [v.tensor if isinstance(v, Variable) else v for v in (var_list or [])]
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None
        self._decay_mask = None

    def _use_weight_decay(self, index: int) -> bool:
        if self._decay_mask is None:
            self._decay_mask = [
                self._decays(self._trainable_variables[i], self._given_variables[i])
                for i in range(len(self._trainable_variables))
            ]
        return self._decay_mask[index]

    def _decays(self, tensor: torch.Tensor, given: Any) -> bool:
        if any(tensor is excluded for excluded in self._excluded):
            return False
        name = given.name if isinstance(given, Variable) else None
        return not (self._exclude_pattern and name and self._exclude_pattern.search(name))

    def _apply_weight_decay(self, indices: list[int], learning_rate: torch.Tensor) -> None:
        if self.weight_decay is None:
            return
        decayed = [i for i in indices if self._use_weight_decay(i)]
        if not decayed:
            return
        factor = 1 - self.weight_decay * learning_rate
        for group_indices, _ in self._groups(decayed, decayed):
            variables = [self._trainable_variables[i] for i in group_indices]
            torch._foreach_mul_(variables, factor.to(variables[0].device, variables[0].dtype))

    # ----------------------------------------------------------------------------- EMA

    def _update_model_variables_moving_average(self) -> None:
        indices = list(range(len(self._trainable_variables)))
        not_first_step = self.iterations != 0
        for group_indices, _ in self._groups(indices, indices):
            variables = [self._trainable_variables[i] for i in group_indices]
            averages = [self._model_variables_moving_average[i] for i in group_indices]
            momentum = not_first_step.to(variables[0].device, variables[0].dtype)
            momentum = momentum * self.ema_momentum
            torch._foreach_mul_(averages, momentum)
            torch._foreach_add_(averages, torch._foreach_mul(variables, 1 - momentum))

    def _overwrite_model_variables_with_average_value(
        self, trainable_variables: Sequence[Any]
    ) -> None:
        averages = self._model_variables_moving_average
        if len(trainable_variables) != len(averages):
            raise ValueError(
                f"The length of model variables ({len(trainable_variables)}) to override does "
                f"not match the length of model variables stored in the optimizer "
                f"({len(averages)}). Please check if the optimizer was called on your model."
            )
        with torch.no_grad():
            for variable, average in zip(trainable_variables, averages):
                tensor = variable.tensor if isinstance(variable, Variable) else variable
                tensor.copy_(average)

    def finalize_variable_values(self, var_list: Sequence[Any]) -> None:
        """With EMA, replace the model's variables by their moving averages (end of fit)."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(var_list)

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    # ----------------------------------------------------------------------------- config

    def get_config(self) -> dict:
        lr = self._learning_rate
        if isinstance(lr, schedules_module.LearningRateSchedule):
            learning_rate: Any = schedules_module.serialize(lr)
        elif isinstance(lr, torch.Tensor):
            learning_rate = float(lr.item())
        elif hasattr(lr, "get_config"):
            learning_rate = {"class_name": type(lr).__name__, "config": lr.get_config()}
        else:
            learning_rate = getattr(lr, "__name__", repr(lr))
        config = {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }
        if self.decay:  # Keras 2's time-based decay; Keras 3 has no such key
            config["decay"] = self.decay
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: Optional[dict] = None) -> Optimizer:
        config = dict(config)
        for key in _TF_KERAS_ONLY_CONFIG_KEYS:
            config.pop(key, None)
        for key in ("learning_rate", "lr"):
            if isinstance(config.get(key), dict):
                config[key] = schedules_module.deserialize(config[key], custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class LearningRateHandle(float):
    """What ``optimizer.lr``/``optimizer.learning_rate`` read as: the value, as a float, that
    remembers its optimizer. Keras 2 code changes the rate with ``K.set_value(optimizer.lr, v)``
    (or tf.keras' ``optimizer.lr.assign(v)``), which needs an object to write through; a plain
    float could not. Arithmetic, ``float()`` and comparisons see an ordinary float."""

    def __new__(cls, value: float, owner: Any) -> LearningRateHandle:
        handle = super().__new__(cls, value)
        handle._owner = owner
        return handle

    def assign(self, value: Any) -> None:
        self._owner.learning_rate = value

    def numpy(self) -> np.ndarray:
        return np.float32(self)

    def __reduce__(self) -> tuple:
        return (float, (float(self),))


def _as_float(value: Any) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.item())
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    raise ValueError(
        "Argument `learning_rate` should be float, or an instance of LearningRateSchedule, or a "
        "callable (that takes in the current iteration value and returns the corresponding "
        f"learning rate value). Received instead: learning_rate={value}"
    )


def _initial_value(template: torch.Tensor, initializer: Any) -> torch.Tensor:
    if isinstance(initializer, str):
        if initializer == "zeros":
            return torch.zeros_like(template)
        if initializer == "ones":
            return torch.ones_like(template)
        from kerasish import initializers

        initializer = initializers.get(initializer)
    if isinstance(initializer, numbers.Real):
        return torch.full_like(template, float(initializer))
    if callable(initializer):
        value = torch.as_tensor(initializer(tuple(template.shape), dtype=template.dtype))
        return value.to(device=template.device, dtype=template.dtype)
    raise ValueError(f"Could not interpret initializer: {initializer!r}")


def _describe(variable: Any) -> str:
    if isinstance(variable, Variable):
        return variable.path
    if isinstance(variable, torch.Tensor):
        return f"<tensor shape={tuple(variable.shape)} dtype={variable.dtype}>"
    return repr(variable)


def _torch_layout(grad: Optional[torch.Tensor], variable: Any) -> Optional[torch.Tensor]:
    """Keras pairs a Variable with a gradient of its Keras shape (``v.value.grad``); the update
    runs on the stored torch-layout tensor. A gradient already of the torch shape (and not also
    of the Keras shape) is taken as it is."""
    if grad is None or not isinstance(variable, Variable) or not variable._layout:
        return grad
    if grad.shape == variable.tensor.shape and grad.shape != variable.value.shape:
        return grad
    return variable._layout.to_torch(grad)
