"""The ``torch.compile`` backend of ``compile(jit_compile=True)``'s training step: inductor,
with ReLU's backward kept from turning into a saved boolean mask on CPU.

AOT autograd's partitioner keeps, for ReLU's backward, the cheapest tensor that decides it:
the one-byte mask ``relu(x) <= 0``, computed in the forward. Inductor's CPU code generator
writes boolean tensors through an unspecialised vector path; on the 2-core AMD EPYC this
project is measured on, a compiled ``x <= 0`` over 2.8M floats takes 23 ms where the same
kernel writing floats takes 0.24 ms, and a Conv2D -> ReLU -> MaxPooling2D training step
compiled by inductor ran twice as slow as eager PyTorch (profile and numbers in issue 8).
Here ReLU saves its float output and decides in the backward; the gradient is
``threshold_backward``'s bit for bit, NaN and infinity included.

Max pooling whose windows tile the input (kernel == stride, no padding: Keras' default
``MaxPooling2D``) gets the same treatment. Inductor decomposes its backward into a zero fill, an
index conversion and a scatter over a channels-first copy of the gradient; here the backward
finds each window's maximum again from the saved input and output (the first one in scan order,
the last NaN, as ATen's kernel picks), which is one pointwise kernel in the input's own layout.

Only CPU graphs are rewritten: GPU code generators store masks well, and a saved float costs
four times the memory of a mask.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import torch
import torch.fx
import torch.nn.functional as F

# What the rewritten graph is handed to. Tests swap in "aot_eager" (no C++ build); users get
# inductor, ``torch.compile``'s default.
inner_backend = "inductor"

_RELU_FUNCTIONS = (F.relu, torch.relu)


class ReluKeepingOutput(torch.autograd.Function):
    """``relu(x)`` whose backward reads the saved output rather than a saved mask."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (out,) = ctx.saved_tensors
        # threshold_backward's rule, ``where(out <= 0, 0, grad)``, with ``out`` scaled by a
        # factor in [1, 2] made from ``grad`` (fmin ignores NaN; the product keeps the sign and
        # a NaN of ``out``): the comparison then depends on the backward's input, so no boolean
        # can be computed in the forward and saved. Zeros made from ``grad`` (``grad * 0``) do
        # not do: they are folded into constants.
        factor = torch.fmin(grad.abs(), grad.new_ones(())) + 1
        return torch.where(out * factor <= 0, 0.0, grad)


def relu_keeping_output(x: torch.Tensor) -> torch.Tensor:
    """What a rewritten graph calls (torch.fx names a plain function, not ``Function.apply``)."""
    return ReluKeepingOutput.apply(x)


class MaxPoolFindingMaxima(torch.autograd.Function):
    """``max_pool2d(x, kernel)`` over tiling windows whose backward needs no indices."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, kernel: tuple) -> torch.Tensor:
        out = F.max_pool2d(x, kernel, kernel)
        ctx.save_for_backward(x, out)
        ctx.kernel = kernel
        return out

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple:
        x, out = ctx.saved_tensors
        kh, kw = ctx.kernel
        rows, cols = out.shape[-2:]
        # Channels-last views: the kernel inductor makes then keeps the gradient's layout.
        xl, ml, gl = (t.permute(0, 2, 3, 1) for t in (x, out, grad))
        window = [
            xl[:, a : rows * kh : kh, b : cols * kw : kw, :] for a in range(kh) for b in range(kw)
        ]
        if (rows * kh, cols * kw) == tuple(x.shape[-2:]):
            tiles = _tiled_gradient(window, ml, gl, kh, kw)
        else:
            tiles = _gradient_with_a_margin(window, ml, gl, kh, kw, x.shape)
        return tiles.permute(0, 3, 1, 2), None


def _hits(window: list, maxima: torch.Tensor) -> list:
    """Per window position, where it holds its window's maximum as ATen picks it: the first
    maximum in scan order, or the last NaN. (``t != t`` is NaN: inductor's CPU code vectorises
    it, but not ``isnan``.)"""
    first_max = _first(xi == maxima for xi in window)
    last_nan = _first(xi != xi for xi in reversed(window))[::-1]
    nan_window = maxima != maxima
    return [torch.where(nan_window, nan_hit, hit) for hit, nan_hit in zip(first_max, last_nan)]


def _tiled_gradient(window: list, maxima: torch.Tensor, grad: torch.Tensor, kh: int, kw: int):
    """Windows cover the input: everything upsampled to its size as views, so that inductor
    makes one pointwise kernel over the input gradient."""
    n, rows, cols, c = maxima.shape

    def upsampled(t: torch.Tensor) -> torch.Tensor:
        return t[:, :, None, :, None, :].expand(n, rows, kh, cols, kw, c).reshape(
            n, rows * kh, cols * kw, c
        )

    hits = _hits([upsampled(xi) for xi in window], upsampled(maxima))
    in_row = torch.arange(rows * kh, device=grad.device) % kh
    in_col = torch.arange(cols * kw, device=grad.device) % kw
    taken = None
    for position, hit in enumerate(hits):
        a, b = divmod(position, kw)
        here = ((in_row == a)[:, None] & (in_col == b)[None, :])[:, :, None] & hit
        taken = here if taken is None else taken | here
    return torch.where(taken, upsampled(grad), 0.0)


def _gradient_with_a_margin(window: list, maxima: torch.Tensor, grad: torch.Tensor, kh: int,
                            kw: int, shape: torch.Size) -> torch.Tensor:
    """Windows leave a last row or column out: the windows' gradients stacked, then placed in a
    zero gradient of the input's size (upsampled views with a slice assignment run slowly)."""
    n, rows, cols, c = maxima.shape
    parts = [torch.where(hit, grad, 0.0) for hit in _hits(window, maxima)]
    tiles = torch.stack(
        [torch.stack(parts[a * kw : (a + 1) * kw], dim=3) for a in range(kh)], dim=2
    ).reshape(n, rows * kh, cols * kw, c)
    full = tiles.new_zeros(n, shape[2], shape[3], c)
    full[:, : rows * kh, : cols * kw, :] = tiles
    return full


def _first(hits: Any) -> list:
    """Each mask keeping only what no earlier mask of the sequence already had."""
    kept, seen = [], None
    for hit in hits:
        if seen is not None:
            hit = hit & ~seen
        seen = hit if seen is None else seen | hit
        kept.append(hit)
    return kept


def max_pool_finding_maxima(x: torch.Tensor, kernel: tuple) -> torch.Tensor:
    return MaxPoolFindingMaxima.apply(x, kernel)


def _pair(value: Any) -> Optional[tuple]:
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return tuple(value)
    return None


def _tiling_max_pool_kernel(node: torch.fx.Node) -> Optional[tuple]:
    """The kernel of an ``F.max_pool2d`` call whose windows tile its input, else None."""
    if node.op != "call_function" or node.target is not F.max_pool2d:
        return None
    names = ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")
    if len(node.args) > len(names) or not set(node.kwargs) <= set(names):
        return None
    given = dict(zip(names, node.args), **node.kwargs)
    kernel = _pair(given.get("kernel_size"))
    stride = given.get("stride")
    stride = kernel if stride is None or stride == () else _pair(stride)
    plain = (
        _pair(given.get("padding", 0)) == (0, 0)
        and _pair(given.get("dilation", 1)) == (1, 1)
        and not given.get("ceil_mode", False)
        and not given.get("return_indices", False)
    )
    return kernel if kernel is not None and stride == kernel and plain else None


def keep_pool_inputs(graph_module: torch.fx.GraphModule) -> int:
    """Route every tiling ``F.max_pool2d`` of ``graph_module`` through
    ``MaxPoolFindingMaxima``; returns how many."""
    rewritten = 0
    for node in graph_module.graph.nodes:
        kernel = _tiling_max_pool_kernel(node)
        if kernel is not None:
            node.target = max_pool_finding_maxima
            node.args, node.kwargs = (node.args[0], kernel), {}
            rewritten += 1
    if rewritten:
        graph_module.recompile()
    return rewritten


def _is_plain_relu(node: torch.fx.Node) -> bool:
    if node.op == "call_method":
        return node.target == "relu" and len(node.args) == 1 and not node.kwargs
    if node.op != "call_function" or node.target not in _RELU_FUNCTIONS:
        return False
    inplace = node.kwargs.get("inplace", node.args[1] if len(node.args) > 1 else False)
    return not inplace and len(node.args) <= 2 and set(node.kwargs) <= {"inplace"}


def keep_relu_outputs(graph_module: torch.fx.GraphModule) -> int:
    """Route every out-of-place ReLU of ``graph_module`` through ``ReluKeepingOutput``;
    returns how many."""
    rewritten = 0
    for node in graph_module.graph.nodes:
        if _is_plain_relu(node):
            node.op, node.target = "call_function", relu_keeping_output
            node.args, node.kwargs = node.args[:1], {}
            rewritten += 1
    if rewritten:
        graph_module.recompile()
    return rewritten


def _all_on_cpu(example_inputs: Sequence[Any]) -> bool:
    tensors = [t for t in example_inputs if isinstance(t, torch.Tensor)]
    return bool(tensors) and all(t.device.type == "cpu" for t in tensors)


def training_backend(graph_module: torch.fx.GraphModule, example_inputs: list) -> Callable:
    """A ``torch.compile`` backend: the rewrite above on CPU graphs, then ``inner_backend``."""
    from torch._dynamo.backends.registry import lookup_backend

    if _all_on_cpu(example_inputs):
        keep_relu_outputs(graph_module)
        keep_pool_inputs(graph_module)
    return lookup_backend(inner_backend)(graph_module, example_inputs)
