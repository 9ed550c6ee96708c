"""The training-step backend: ReLU's gradient is threshold_backward's, and after the rewrite the
partitioned forward of a CPU graph saves no boolean tensor for the backward."""

import pytest
import torch
import torch._inductor.lowering  # noqa: F401  (the decomposition table reads it)
import torch.fx
import torch.nn.functional as F
from torch._dynamo.backends.common import aot_autograd
from torch._functorch.aot_autograd import make_boxed_compiler
from torch._functorch.partitioners import min_cut_rematerialization_partition
from torch._inductor.decomposition import select_decomp_table

from kerasish.training import jit_backend

SPECIAL = [-1.0, 0.0, -0.0, 2.0, float("nan"), float("inf"), -float("inf")]
GRADS = [1.0, -3.0, float("inf"), -float("inf"), float("nan")]


def _grad(relu, x, grad):
    x = x.clone().requires_grad_(True)
    relu(x).backward(grad)
    return x.grad


def test_gradient_is_threshold_backward_bit_for_bit():
    x = torch.tensor(SPECIAL).repeat_interleave(len(GRADS))
    grad = torch.tensor(GRADS).repeat(len(SPECIAL))
    expected = _grad(torch.relu, x, grad)
    got = _grad(jit_backend.ReluKeepingOutput.apply, x, grad)
    torch.testing.assert_close(got, expected, rtol=0, atol=0, equal_nan=True)
    torch.testing.assert_close(
        jit_backend.ReluKeepingOutput.apply(x), torch.relu(x), rtol=0, atol=0, equal_nan=True
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float64])
def test_gradient_keeps_the_dtype(dtype):
    x = torch.randn(5, 6, dtype=dtype)
    grad = torch.randn(5, 6, dtype=dtype)
    got = _grad(jit_backend.ReluKeepingOutput.apply, x, grad)
    assert got.dtype == dtype
    assert torch.equal(got, _grad(torch.relu, x, grad))


def _saved_dtypes(rewrite: bool) -> list:
    """dtypes the forward hands to the backward, partitioned as inductor partitions."""
    saved = []

    def forward_compiler(graph_module, example_inputs):
        outputs = next(n for n in graph_module.graph.nodes if n.op == "output").args[0]
        saved.extend(o.meta["val"].dtype for o in outputs if isinstance(o, torch.fx.Node))
        return graph_module

    inner = aot_autograd(
        fw_compiler=make_boxed_compiler(forward_compiler),
        bw_compiler=make_boxed_compiler(lambda graph_module, example_inputs: graph_module),
        partition_fn=min_cut_rematerialization_partition,
        decompositions=select_decomp_table(),
    )

    def backend(graph_module, example_inputs):
        if rewrite:
            assert jit_backend.keep_relu_outputs(graph_module) == 1
        return inner(graph_module, example_inputs)

    def conv_block(x, weight):
        return F.max_pool2d(F.relu(F.conv2d(x, weight)), 2)

    compiled = torch.compile(conv_block, backend=backend, fullgraph=True)
    x = torch.randn(2, 3, 10, 10)
    weight = torch.randn(4, 3, 3, 3, requires_grad=True)
    compiled(x, weight).sum().backward()
    torch._dynamo.reset()
    return saved


def test_rewritten_forward_saves_no_boolean_mask():
    assert torch.bool in _saved_dtypes(rewrite=False)  # the mask inductor would store
    assert torch.bool not in _saved_dtypes(rewrite=True)


class _Relus(torch.nn.Module):
    def forward(self, x):
        a = F.relu(x)
        b = torch.relu(a)
        c = b.relu()
        d = F.relu(c, inplace=True)
        return F.relu(d, False)


def _targets(graph_module):
    return [n.target for n in graph_module.graph.nodes if n.op in ("call_function", "call_method")]


def test_rewrite_takes_every_out_of_place_relu():
    graph_module = torch.fx.symbolic_trace(_Relus())
    assert jit_backend.keep_relu_outputs(graph_module) == 4
    targets = _targets(graph_module)
    assert targets.count(jit_backend.relu_keeping_output) == 4
    assert targets.count(F.relu) == 1  # the in-place one
    x = torch.randn(3, 4)
    torch.testing.assert_close(graph_module(x), torch.relu(x))


@pytest.mark.parametrize("device, rewritten", [("cpu", True), ("meta", False)])
def test_backend_rewrites_cpu_graphs_only(monkeypatch, device, rewritten):
    monkeypatch.setattr(jit_backend, "inner_backend", "eager")
    graph_module = torch.fx.symbolic_trace(_Relus())
    jit_backend.training_backend(graph_module, [torch.empty(3, 4, device=device)])
    assert (jit_backend.relu_keeping_output in _targets(graph_module)) is rewritten


# ------------------------------------------------------------------------- max pooling


def _pool_grads(pool, x, kernel):
    x = x.detach().clone().requires_grad_(True)
    out = pool(x, kernel)
    out.backward(torch.linspace(-1, 1, out.numel()).reshape(out.shape))
    return out.detach(), x.grad


def _special_inputs():
    torch.manual_seed(0)
    x = torch.randn(3, 4, 9, 11)
    nans = x.clone()
    nans[0, 0, 0, 0] = nans[0, 0, 1, 1] = nans[1, 2, 4, 5] = float("nan")
    infs = torch.full((2, 2, 4, 6), float("-inf"))
    infs[0, 0, 1, 1] = 1.0
    return {"random": x, "ties": (x * 2).round(), "zeros": torch.zeros(2, 3, 6, 6), "nan": nans, "inf": infs}


@pytest.mark.parametrize("kernel", [(2, 2), (3, 3), (2, 3)])
@pytest.mark.parametrize("channels_last", [True, False])
def test_pool_gradient_is_atens_bit_for_bit(kernel, channels_last):
    """ATen gives a window's gradient to its first maximum (scan order), or to its last NaN."""
    for name, x in _special_inputs().items():
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        expected = _pool_grads(lambda t, k: F.max_pool2d(t, k, k), x, kernel)
        received = _pool_grads(jit_backend.MaxPoolFindingMaxima.apply, x, kernel)
        assert torch.equal(received[0].nan_to_num(7.0), expected[0].nan_to_num(7.0)), name
        assert torch.equal(received[1], expected[1]), name


def test_pool_gradient_keeps_the_channels_last_layout():
    x = torch.randn(2, 8, 10, 10).contiguous(memory_format=torch.channels_last)
    _, grad = _pool_grads(jit_backend.MaxPoolFindingMaxima.apply, x, (2, 2))
    assert grad.is_contiguous(memory_format=torch.channels_last)


class _Pools(torch.nn.Module):
    def forward(self, x):
        tiled = F.max_pool2d(x, 2) + F.max_pool2d(x, (2, 2), (2, 2), 0)
        overlapping = F.max_pool2d(x, 3, 2)
        padded = F.max_pool2d(x, 2, padding=1)
        ceil = F.max_pool2d(x, 2, ceil_mode=True)
        values, _ = F.max_pool2d(x, 2, return_indices=True)
        return tiled.sum() + overlapping.sum() + padded.sum() + ceil.sum() + values.sum()


def test_pool_rewrite_takes_tiling_windows_only():
    graph_module = torch.fx.symbolic_trace(_Pools())
    assert jit_backend.keep_pool_inputs(graph_module) == 2
    assert _targets(graph_module).count(jit_backend.max_pool_finding_maxima) == 2
    x = torch.randn(2, 3, 9, 9)
    torch.testing.assert_close(graph_module(x), _Pools()(x))


def _backward_targets(rewrite: bool) -> set:
    """The ops of the backward graph, partitioned and decomposed as inductor does."""
    targets: set = set()

    def backward_compiler(graph_module, example_inputs):
        targets.update(str(n.target) for n in graph_module.graph.nodes if n.op == "call_function")
        return graph_module

    inner = aot_autograd(
        fw_compiler=make_boxed_compiler(lambda graph_module, example_inputs: graph_module),
        bw_compiler=make_boxed_compiler(backward_compiler),
        partition_fn=min_cut_rematerialization_partition,
        decompositions=select_decomp_table(),
    )

    def backend(graph_module, example_inputs):
        if rewrite:
            assert jit_backend.keep_pool_inputs(graph_module) == 1
        return inner(graph_module, example_inputs)

    compiled = torch.compile(lambda x: F.max_pool2d(x * 2, 2), backend=backend, fullgraph=True)
    compiled(torch.randn(2, 3, 8, 8, requires_grad=True)).sum().backward()
    torch._dynamo.reset()
    return targets


def test_rewritten_pool_backward_has_no_scatter():
    assert any("scatter" in t for t in _backward_targets(rewrite=False))  # inductor's lowering
    assert not any("scatter" in t or "max_pool" in t for t in _backward_targets(rewrite=True))
