"""InputSpec: what a layer accepts, checked before it is built or called symbolically.

The checks exist for the error message: a wrong rank or a wrong feature size is reported with
the layer's name, the expectation and the full shape received, as Keras reports it, instead of
as a matmul failure deep inside torch.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence


class InputSpec:
    def __init__(
        self,
        dtype: Optional[str] = None,
        shape: Optional[Sequence[Optional[int]]] = None,
        ndim: Optional[int] = None,
        max_ndim: Optional[int] = None,
        min_ndim: Optional[int] = None,
        axes: Optional[dict] = None,
        allow_last_axis_squeeze: bool = False,
        name: Optional[str] = None,
    ) -> None:
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name

    def __repr__(self) -> str:
        parts = [
            f"{key}={value}"
            for key, value in (
                ("dtype", self.dtype),
                ("shape", self.shape),
                ("ndim", self.ndim),
                ("max_ndim", self.max_ndim),
                ("min_ndim", self.min_ndim),
                ("axes", self.axes or None),
            )
            if value is not None
        ]
        return f"InputSpec({', '.join(parts)})"


def assert_input_compatibility(specs: Any, shapes: Sequence[tuple], layer_name: str) -> None:
    """Raise ValueError naming the layer if any input shape breaks its InputSpec."""
    if specs is None:
        return
    specs = specs if isinstance(specs, (list, tuple)) else [specs]
    if len(specs) != len(shapes):
        raise ValueError(
            f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
            f"{len(shapes)} input tensors."
        )
    for index, (spec, shape) in enumerate(zip(specs, shapes)):
        if spec is None or shape is None:
            continue
        shape = tuple(shape)
        ndim = len(shape)
        where = f'Input {index} of layer "{layer_name}" is incompatible with the layer'
        if spec.ndim is not None and ndim != spec.ndim:
            raise ValueError(
                f"{where}: expected ndim={spec.ndim}, found ndim={ndim}. "
                f"Full shape received: {shape}"
            )
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(
                f"{where}: expected max_ndim={spec.max_ndim}, found ndim={ndim}. "
                f"Full shape received: {shape}"
            )
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(
                f"{where}: expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
                f"Full shape received: {shape}"
            )
        for axis, size in spec.axes.items():
            if size is None or not -ndim <= axis < ndim:
                continue
            if shape[axis] not in (size, None):
                raise ValueError(
                    f"{where}: expected axis {axis} of input shape to have value {size}, "
                    f"but received input with shape {shape}"
                )
        if spec.shape is not None:
            for expected, received in zip(spec.shape, shape):
                if expected is not None and received is not None and expected != received:
                    raise ValueError(
                        f"{where}: expected shape={spec.shape}, found shape={shape}"
                    )
