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

Only CPU graphs are rewritten: GPU code generators store masks well, and a saved float costs
four times the memory of a mask.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

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
    return lookup_backend(inner_backend)(graph_module, example_inputs)
