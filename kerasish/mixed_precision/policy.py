"""DTypePolicy: the pair (compute dtype, variable dtype) a layer runs with.

``"mixed_float16"`` / ``"mixed_bfloat16"`` keep variables in float32 and compute in the half
type; any other dtype name means both are that dtype. Layers store only the policy's *name*
(``layer._dtype``), so the default float32 path costs nothing; the object is made on request.

The global policy follows tf.keras: unset, it is ``floatx()`` at the time it is read.
"""

from __future__ import annotations

from typing import Any, Optional

from kerasish import backend
from kerasish.mixed_precision import quantized_policies

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
_POLICY_CLASS_NAMES = {"Policy", "DTypePolicy", "FloatDTypePolicy", "PolicyV1"}

# The name set by ``set_global_policy``; None: follow floatx().
_GLOBAL: list[Optional[str]] = [None]
# Set once any layer gets a mixed policy. Until then layers skip every dtype check per call.
MIXED_IN_USE = [False]


def _is_plain_dtype(name: str) -> bool:
    try:
        backend.standardize_dtype(name)
    except ValueError:
        return False
    return True


def _parse(name: Any) -> tuple[str, str, str]:
    """``(standardized name, compute dtype, variable dtype)`` of a policy name."""
    if not isinstance(name, str):
        raise TypeError(
            "'name' must be a string, such as 'mixed_float16'. "
            f"Received: name={name} (of type {type(name)})"
        )
    # A plain integer dtype ("int8", an op layer's output dtype) is not a quantization mode.
    if name.startswith(quantized_policies.MODES) and not _is_plain_dtype(name):
        source = quantized_policies.source_of(name)
        _, compute, variable = _parse(source)
        quantized_policies.check(name, compute)
        return name, compute, variable
    if name in _MIXED:
        return name, _MIXED[name], "float32"
    try:
        dtype = backend.standardize_dtype(name)
    except ValueError:
        dtype = None
    if dtype is None or dtype.startswith("mixed_"):
        raise ValueError(
            f"Cannot convert '{name}' to a mixed precision DTypePolicy. Valid policies include "
            "'mixed_float16', 'mixed_bfloat16', and the name of any float dtype such as "
            "'float32'."
        )
    return dtype, dtype, dtype


class DTypePolicy:
    """Keras 3's ``DTypePolicy`` (tf.keras' ``mixed_precision.Policy``)."""

    def __init__(self, name: Optional[str] = None) -> None:
        if name is None:
            name = global_policy().name
        self._name, self._compute_dtype, self._variable_dtype = _parse(name)

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        """The dtype of the layer's inputs, computations and outputs."""
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype weights are created and kept in (float32 for the mixed policies)."""
        return self._variable_dtype

    @property
    def quantization_mode(self) -> Optional[str]:
        """``"int8"``, ``"int4"`` or ``"float8"`` for a quantized policy, else None."""
        return quantized_policies.mode_of(self._name)

    def get_config(self) -> dict:
        if self.quantization_mode is not None:
            return quantized_policies.config_of(self._name)
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict) -> DTypePolicy:
        if "mode" in config:
            return get(f"{config['mode']}_from_{config.get('source_name') or global_policy().name}")
        return cls(**config)

    def __repr__(self) -> str:
        return f'<{type(self).__name__} "{self._name}">'

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, DTypePolicy) and other._name == self._name

    def __hash__(self) -> int:
        return hash(("DTypePolicy", self._name))


Policy = DTypePolicy
FloatDTypePolicy = DTypePolicy


class QuantizedDTypePolicy(DTypePolicy):
    """A quantized layer's policy, ``"<mode>_from_<source policy>"`` (Keras 3): the layer
    computes in the source policy's dtypes with quantized weights."""

    def __init__(self, mode: str, source_name: Optional[str] = None) -> None:
        super().__init__(f"{mode}_from_{source_name or global_policy().name}")

    @property
    def source_name(self) -> str:
        return quantized_policies.source_of(self._name)


class QuantizedFloat8DTypePolicy(QuantizedDTypePolicy):
    default_amax_history_length = quantized_policies.FLOAT8_HISTORY

    def __init__(self, mode: str, source_name: Optional[str] = None,
                 amax_history_length: int = quantized_policies.FLOAT8_HISTORY) -> None:
        quantized_policies.check_history_length(amax_history_length)
        super().__init__(mode, source_name)

    @property
    def amax_history_length(self) -> int:
        return quantized_policies.FLOAT8_HISTORY


class Int4DTypePolicy(QuantizedDTypePolicy):
    """int4 with its block size in the name: ``"int4/128_from_float32"`` (-1: per channel)."""

    @property
    def block_size(self) -> int:
        return quantized_policies.block_size_of(self._name)


_QUANTIZED_CLASSES = {
    "QuantizedDTypePolicy": QuantizedDTypePolicy,
    "QuantizedFloat8DTypePolicy": QuantizedFloat8DTypePolicy,
    "Int4DTypePolicy": Int4DTypePolicy,
}


def get(identifier: Any) -> DTypePolicy:
    """Keras' ``dtype_policies.get``: the policy object, of its Keras class, for an identifier."""
    name = policy_name(identifier)
    class_name = quantized_policies.class_name_of(name)
    if class_name is None:
        return DTypePolicy(name)
    policy = DTypePolicy.__new__(_QUANTIZED_CLASSES[class_name])
    DTypePolicy.__init__(policy, name)
    return policy


def policy_name(identifier: Any) -> str:
    """The standardized policy name for a layer's ``dtype=`` argument.

    Accepts None (the global policy), a policy object, a policy config dict (tf.keras'
    ``{"class_name": "Policy", ...}`` or Keras 3's ``DTypePolicy``), a policy or dtype name,
    or a numpy/torch dtype.
    """
    if identifier is None:
        name = _GLOBAL[0] or backend.floatx()
    elif isinstance(identifier, DTypePolicy):
        name = identifier.name
    elif isinstance(identifier, dict) and identifier.get("class_name") in quantized_policies.CLASS_NAMES:
        name = _parse(quantized_policies.name_from_config(identifier))[0]
    elif isinstance(identifier, dict):
        class_name = identifier.get("class_name")
        if class_name not in _POLICY_CLASS_NAMES:
            raise ValueError(
                "Cannot interpret `dtype` argument. Expected a string or an instance of "
                f"DTypePolicy. Received: dtype={identifier}"
            )
        name = _parse(identifier.get("config", {}).get("name", backend.floatx()))[0]
    elif isinstance(identifier, str):
        name = _parse(identifier)[0]
    else:
        try:
            name = backend.standardize_dtype(identifier)
        except (TypeError, ValueError) as err:
            raise ValueError(
                "Cannot interpret `dtype` argument. Expected a string or an instance of "
                f"DTypePolicy. Received: dtype={identifier}"
            ) from err
    if name in _MIXED:
        MIXED_IN_USE[0] = True
    return name


def compute_dtype_of(name: str) -> str:
    name = quantized_policies.SOURCES.get(name, name)
    return _MIXED.get(name, name)


def variable_dtype_of(name: str) -> str:
    name = quantized_policies.SOURCES.get(name, name)
    return "float32" if name in _MIXED else name


def is_mixed(name: str) -> bool:
    return name in _MIXED


def serialize(name: str) -> Any:
    """tf.keras 2.x' layer config value: the dtype string, or the Policy dict when mixed.

    Quantized policies exist only in Keras 3, so theirs is Keras 3's policy dict."""
    if name in quantized_policies.SOURCES:
        return quantized_policies.serialize(name)
    if name in _MIXED:
        return {"class_name": "Policy", "config": {"name": name}}
    return name


def set_global_policy(policy: Any) -> None:
    """Keras' ``mixed_precision.set_global_policy``: the policy of layers created from now on."""
    if isinstance(policy, DTypePolicy):
        name = policy.name
    elif isinstance(policy, str):
        name = _parse(policy)[0]
    elif policy is None:  # tf.keras: None resets to floatx()
        _GLOBAL[0] = None
        return
    else:
        raise ValueError(
            "Invalid `policy` argument. Expected the string name of a policy (such as "
            f"'mixed_float16') or a `DTypePolicy` instance. Received: policy={policy} "
            f"(of type {type(policy)})"
        )
    if name in _MIXED:
        MIXED_IN_USE[0] = True
    _GLOBAL[0] = name


def global_policy() -> DTypePolicy:
    """The current global policy (``floatx()`` while none was set)."""
    return DTypePolicy(_GLOBAL[0] or backend.floatx())
