"""Merge layers: combine a list of tensors (Concatenate, Add, Subtract, Multiply, Average,
Maximum, Minimum, Dot) and their lowercase functional forms (``concatenate([a, b])``).

Elementwise merges broadcast like Keras 3: inputs of lower rank get size-1 axes inserted after
the batch axis, then ordinary broadcasting applies. Masks follow Keras 3 too: the output mask
is the OR of the input masks, and Maximum, Minimum and Multiply ignore masked positions of an
input when another input has a value there.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Union

import torch

from kerasish import backend
from kerasish.layers.base import Layer, is_shape

Shape = Sequence[Optional[int]]


class Merge(Layer):
    """Base class of the elementwise merges; subclasses define ``_merge_function``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def _merge_function(
        self, inputs: list[torch.Tensor], masks: list[Optional[torch.Tensor]]
    ) -> torch.Tensor:
        raise NotImplementedError

    # ------------------------------------------------------------------ shapes

    def _check_list(self, input_shape: Any) -> list[tuple]:
        if is_shape(input_shape) or not isinstance(input_shape, (list, tuple)):
            raise ValueError(
                f"A merge layer should be called on a list of inputs. Received: "
                f"input_shape={input_shape} (not a list of shapes)"
            )
        if len(input_shape) < 1:
            raise ValueError(
                "A merge layer should be called on a list of at least 1 input. Received 0 "
                "inputs."
            )
        shapes = [tuple(shape) for shape in input_shape]
        batch_sizes = {shape[0] for shape in shapes if shape} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"Cannot merge tensors with different batch sizes. Received tensors with "
                f"shapes {shapes}"
            )
        return shapes

    def _broadcast(self, shape1: tuple, shape2: tuple, all_shapes: list) -> tuple:
        """Shape of an elementwise op on two (batch-less) shapes, aligned at the end."""
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return shape1
        out = list(shape1[: len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
            if i is None or j is None:
                out.append(None)
            elif i == 1 or j == 1:
                out.append(j if i == 1 else i)
            elif i != j:
                raise ValueError(
                    f"A `{type(self).__name__}` layer requires inputs with compatible shapes. "
                    f"Inputs have incompatible shapes. Received shapes {shape1} and {shape2} "
                    f"(layer '{self.name}', input_shape={all_shapes})"
                )
            else:
                out.append(i)
        return tuple(out)

    def build(self, input_shape: Any) -> None:
        self.compute_output_shape(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._check_list(input_shape)
        out = shapes[0][1:]
        for shape in shapes[1:]:
            out = self._broadcast(out, shape[1:], shapes)
        batch_sizes = {shape[0] for shape in shapes if shape} - {None}
        return (batch_sizes.pop() if batch_sizes else None,) + out

    # -------------------------------------------------------------------- call

    def call(self, inputs: Sequence[torch.Tensor], mask: Any = None) -> torch.Tensor:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                "A merge layer should be called on a list of inputs. Received: "
                f"inputs={inputs} (not a list of tensors)"
            )
        inputs = list(inputs)
        ranks = [x.ndim for x in inputs]
        if len(set(ranks)) > 1:
            top = max(ranks)
            inputs = [x.reshape(x.shape[:1] + (1,) * (top - x.ndim) + x.shape[1:]) for x in inputs]
        masks = list(mask) if isinstance(mask, (list, tuple)) else [None] * len(inputs)
        return self._merge_function(inputs, masks)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Optional[torch.Tensor]:
        if mask is None:
            return None
        _check_masks(inputs, mask)
        if any(m is None for m in mask):
            return None
        output = mask[0]
        for m in mask[1:]:
            output = torch.logical_or(output, m)
        return output

    def get_config(self) -> dict:
        return super().get_config()


def _check_masks(inputs: Any, mask: Any) -> None:
    if not isinstance(mask, (list, tuple)):
        raise ValueError(f"`mask` should be a list. Received: mask={mask}")
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(f"`inputs` should be a list. Received: inputs={inputs}")
    if len(mask) != len(inputs):
        raise ValueError(
            "The lists `inputs` and `mask` should have the same length. Received: "
            f"inputs of length {len(inputs)}, and mask of length {len(mask)}"
        )


def _expanded(mask: Optional[torch.Tensor], x: torch.Tensor) -> Optional[torch.Tensor]:
    """A (batch, steps) mask broadcast to the features of ``x``."""
    if mask is None:
        return None
    return mask.to(torch.bool).unsqueeze(-1).expand_as(x)


def _masked_reduce(
    op: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    inputs: list[torch.Tensor],
    masks: list[Optional[torch.Tensor]],
) -> torch.Tensor:
    """Fold ``op`` over the inputs; where an input is masked, the others' value stands."""
    if all(m is None for m in masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = op(output, x)
        return output
    output, output_mask = None, None
    for x, mask in zip(inputs, masks):
        mask = _expanded(mask, x)
        if output is None:
            output, output_mask = x, mask
            continue
        if mask is not None:
            x = torch.where(mask, x, output)
        if output_mask is not None:
            output = torch.where(output_mask, output, x)
        output_mask = output_mask | mask if mask is not None and output_mask is not None else None
        output = op(output, x)
    return output


class Add(Merge):
    def _merge_function(self, inputs, masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


class Subtract(Merge):
    """``inputs[0] - inputs[1]``; exactly two inputs."""

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = super().compute_output_shape(input_shape)
        if len(input_shape) != 2:
            raise ValueError(
                "A `Subtract` layer should be called on exactly 2 inputs. Received: "
                f"input_shape={[tuple(s) for s in input_shape]}"
            )
        return shape

    def _merge_function(self, inputs, masks):
        if len(inputs) != 2:
            raise ValueError(
                "A `Subtract` layer should be called on exactly 2 inputs. Received: "
                f"{len(inputs)} inputs with shapes {[tuple(x.shape) for x in inputs]}"
            )
        return inputs[0] - inputs[1]


class Multiply(Merge):
    """Elementwise product; a masked position multiplies by 1, and by 0 where all are masked."""

    def _merge_function(self, inputs, masks):
        if all(m is None for m in masks):
            output = inputs[0]
            for x in inputs[1:]:
                output = output * x
            return output
        has_output_mask = all(m is not None for m in masks)
        output, output_mask = None, None
        for x, mask in zip(inputs, masks):
            mask = _expanded(mask, x)
            if mask is not None:
                x = torch.where(mask, x, 1.0)
                if has_output_mask:
                    output_mask = mask if output_mask is None else output_mask | mask
            output = x if output is None else output * x
        if has_output_mask:
            output = torch.where(output_mask, output, 0.0)
        return output


class Average(Merge):
    def _merge_function(self, inputs, masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output / len(inputs)


class Maximum(Merge):
    def _merge_function(self, inputs, masks):
        return _masked_reduce(torch.maximum, inputs, masks)


class Minimum(Merge):
    def _merge_function(self, inputs, masks):
        return _masked_reduce(torch.minimum, inputs, masks)


class Concatenate(Merge):
    """Join along ``axis``; every other axis must agree (unknown sizes agree with anything)."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def _check_shapes(self, input_shape: Any) -> list[tuple]:
        if is_shape(input_shape) or not isinstance(input_shape, (list, tuple)) or not input_shape:
            raise ValueError(
                "A `Concatenate` layer should be called on a list of at least 1 input. "
                f"Received: input_shape={input_shape}"
            )
        shapes = [tuple(shape) for shape in input_shape]
        message = (
            "A `Concatenate` layer requires inputs with matching shapes except for the "
            f"concatenation axis. Received: input_shape={shapes}"
        )
        rank = len(shapes[0])
        if any(len(shape) != rank for shape in shapes) or not -rank <= self.axis < rank:
            raise ValueError(message)
        axis = self.axis % rank
        for dim in range(rank):
            if dim == axis:
                continue
            if len({shape[dim] for shape in shapes} - {None}) > 1:
                raise ValueError(message)
        return shapes

    def build(self, input_shape: Any) -> None:
        self._check_shapes(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._check_shapes(input_shape)
        out = list(shapes[0])
        for dim in range(len(out)):
            known = [shape[dim] for shape in shapes if shape[dim] is not None]
            out[dim] = known[0] if known else None
        sizes = [shape[self.axis] for shape in shapes]
        out[self.axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def call(self, inputs: Sequence[torch.Tensor], mask: Any = None) -> torch.Tensor:
        # ``mask`` is unused here, but taking it is what makes the graph hand the input masks
        # to ``compute_mask``.
        return torch.cat(list(inputs), dim=self.axis)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Optional[torch.Tensor]:
        if mask is None:
            return None
        _check_masks(inputs, mask)
        if all(m is None for m in mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                masks.append(torch.ones_like(x, dtype=torch.bool))
            elif m.ndim < x.ndim:
                masks.append(m.to(torch.bool).unsqueeze(-1).expand_as(x))
            else:
                masks.append(m.to(torch.bool))
        return torch.cat(masks, dim=self.axis).any(dim=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class Dot(Merge):
    """Per-sample dot product of two tensors along ``axes`` (optionally of unit vectors).

    The contracted axes are moved next to each other and one ``torch.bmm`` does the work; the
    output keeps the first input's other axes, then the second's (Keras' ``batch_dot``). A
    result with no axis besides the batch becomes ``(batch, 1)``.
    """

    def __init__(self, axes: Union[int, Sequence[int]], normalize: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(
                    "Invalid type for argument `axes`: it should be a list or an int. "
                    f"Received: axes={axes}"
                )
            if len(axes) != 2:
                raise ValueError(
                    "Invalid format for argument `axes`: it should contain two elements. "
                    f"Received: axes={axes}"
                )
            if not isinstance(axes[0], int) or not isinstance(axes[1], int):
                raise ValueError(
                    "Invalid format for argument `axes`: list elements should be integers. "
                    f"Received: axes={axes}"
                )
        self.axes = axes
        self.normalize = normalize

    def _axes_for(self, rank1: int, rank2: int) -> tuple[int, int]:
        if isinstance(self.axes, int):
            return (self.axes % rank1, self.axes % rank2) if self.axes < 0 else (self.axes,) * 2
        return (
            self.axes[0] % rank1 if self.axes[0] < 0 else self.axes[0],
            self.axes[1] % rank2 if self.axes[1] < 0 else self.axes[1],
        )

    def _check_pair(self, input_shape: Any) -> tuple[tuple, tuple]:
        if (
            is_shape(input_shape)
            or not isinstance(input_shape, (list, tuple))
            or len(input_shape) != 2
        ):
            raise ValueError(
                "A `Dot` layer should be called on a list of 2 inputs. Received: "
                f"input_shape={input_shape}"
            )
        shape1, shape2 = tuple(input_shape[0]), tuple(input_shape[1])
        axis1, axis2 = self._axes_for(len(shape1), len(shape2))
        if 0 in (axis1, axis2) or axis1 >= len(shape1) or axis2 >= len(shape2):
            raise ValueError(
                f"Dot layer '{self.name}': invalid axes {self.axes} for input shapes {shape1} "
                f"and {shape2} (the batch axis 0 cannot be contracted)."
            )
        size1, size2 = shape1[axis1], shape2[axis2]
        if size1 is not None and size2 is not None and size1 != size2:
            raise ValueError(
                f"Incompatible input shapes: axis values {size1} (at axis {axis1}) != "
                f"{size2} (at axis {axis2}). Full input shapes: {shape1}, {shape2}"
            )
        return shape1, shape2

    def build(self, input_shape: Any) -> None:
        self._check_pair(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape1, shape2 = self._check_pair(input_shape)
        axis1, axis2 = self._axes_for(len(shape1), len(shape2))
        rest1 = [d for i, d in enumerate(shape1) if i != axis1]
        rest2 = [d for i, d in enumerate(shape2) if i not in (0, axis2)]
        output_shape = rest1 + rest2
        return tuple(output_shape + [1] if len(output_shape) == 1 else output_shape)

    def call(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                "A `Dot` layer should be called on exactly 2 inputs. Received: "
                f"{len(inputs) if isinstance(inputs, (list, tuple)) else 1} input(s)"
            )
        x, y = inputs
        axis1, axis2 = self._axes_for(x.ndim, y.ndim)
        if self.normalize:
            x = _l2_normalize(x, axis1)
            y = _l2_normalize(y, axis2)
        return batch_dot(x, y, axis1, axis2)

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x: torch.Tensor, axis: int) -> torch.Tensor:
    """Keras' ``normalize``: ``x * min(rsqrt(sum(x^2)), 1 / epsilon)``."""
    inv_norm = torch.rsqrt(x.square().sum(dim=axis, keepdim=True))
    return x * inv_norm.clamp(max=1.0 / backend.epsilon())


def batch_dot(x: torch.Tensor, y: torch.Tensor, axis1: int, axis2: int) -> torch.Tensor:
    """Contract ``x`` axis ``axis1`` with ``y`` axis ``axis2`` for each sample, with one bmm."""
    if x.shape[0] != y.shape[0] or x.shape[axis1] != y.shape[axis2]:
        raise ValueError(
            f"Cannot do batch_dot on inputs with shapes {tuple(x.shape)} and {tuple(y.shape)} "
            f"with axes={[axis1, axis2]}."
        )
    x = x.movedim(axis1, -1)
    y = y.movedim(axis2, 1)
    rest1, rest2 = x.shape[1:-1], y.shape[2:]
    batch, depth = x.shape[0], x.shape[-1]
    out = torch.bmm(x.reshape(batch, -1, depth), y.reshape(batch, depth, -1))
    if not rest1 and not rest2:
        return out.reshape(batch, 1)
    return out.reshape((batch,) + tuple(rest1) + tuple(rest2))


# ------------------------------------------------------------ functional forms


def concatenate(inputs: Sequence[Any], axis: int = -1, **kwargs: Any) -> Any:
    """``Concatenate(axis=axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def add(inputs: Sequence[Any], **kwargs: Any) -> Any:
    return Add(**kwargs)(inputs)


def subtract(inputs: Sequence[Any], **kwargs: Any) -> Any:
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Sequence[Any], **kwargs: Any) -> Any:
    return Multiply(**kwargs)(inputs)


def average(inputs: Sequence[Any], **kwargs: Any) -> Any:
    return Average(**kwargs)(inputs)


def maximum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    return Minimum(**kwargs)(inputs)


def dot(inputs: Sequence[Any], axes: Union[int, Sequence[int]] = -1, **kwargs: Any) -> Any:
    """``Dot(axes=axes, **kwargs)(inputs)``."""
    return Dot(axes=axes, **kwargs)(inputs)
