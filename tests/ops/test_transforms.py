"""kerasish.ops.transforms (associative_scan, custom_gradient, jvp, vectorize) without real Keras."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish import ops


@pytest.mark.parametrize("n", [1, 2, 5, 8, 13])
def test_associative_scan_is_an_inclusive_scan(n):
    x = torch.arange(1, n + 1, dtype=torch.int64).reshape(n, 1).repeat(1, 3)
    out = ops.associative_scan(lambda a, b: a + b, x)
    assert out.dtype == torch.int64 and torch.equal(out, torch.cumsum(x, 0))
    rev = ops.associative_scan(lambda a, b: a + b, x, reverse=True, axis=0)
    assert torch.equal(rev, torch.cumsum(x.flip(0), 0).flip(0))


def test_associative_scan_keeps_operand_order_and_structures():
    mats = torch.randn(7, 2, 2, dtype=torch.float64)
    out = ops.associative_scan(lambda a, b: a @ b, mats)
    expected, acc = [], torch.eye(2, dtype=torch.float64)
    for m in mats:
        acc = acc @ m
        expected.append(acc)
    torch.testing.assert_close(out, torch.stack(expected))
    pair = {"x": torch.ones(2, 4), "y": torch.arange(8.0).reshape(2, 4)}
    out = ops.associative_scan(lambda a, b: {"x": a["x"] + b["x"], "y": torch.maximum(a["y"], b["y"])}, pair, axis=1)
    assert out["x"].tolist() == [[1, 2, 3, 4]] * 2 and torch.equal(out["y"], pair["y"])


def test_associative_scan_errors():
    with pytest.raises(TypeError, match="`f` should be a callable"):
        ops.associative_scan(3, torch.ones(3))
    with pytest.raises(ValueError, match="same size along the scanned axis"):
        ops.associative_scan(lambda a, b: a, [torch.ones(3), torch.ones(4)])
    with pytest.raises(NotImplementedError, match="associative_scan on KerasTensors"):
        ops.associative_scan(lambda a, b: a + b, kerasish.Input((3,)))


def test_custom_gradient_both_grad_conventions():
    def make(style):
        @ops.custom_gradient
        def clip_grad(x):
            def keras_grad(*args, upstream):
                return upstream.clamp(-0.5, 0.5)

            def tf_grad(upstream):
                return upstream.clamp(-0.5, 0.5)

            return x * 3.0, keras_grad if style == "keras" else tf_grad

        return clip_grad

    for style in ("keras", "tf"):
        x = torch.ones(3, requires_grad=True)
        y = make(style)(x)
        (y * torch.tensor([1.0, -2.0, 0.1])).sum().backward()
        assert y.tolist() == [3.0, 3.0, 3.0] and x.grad.tolist() == pytest.approx([0.5, -0.5, 0.1])


def test_custom_gradient_needs_a_grad_function():
    @ops.custom_gradient
    def plain(x):
        return x * 2

    with pytest.raises(TypeError, match=r"must return `\(output, grad_fn\)`"):
        plain(torch.ones(2))


def test_jvp_is_the_directional_derivative():
    x, t = torch.tensor([0.5, 1.0]), torch.tensor([1.0, 2.0])
    out, tangent = ops.jvp(torch.sin, (x,), (t,))
    torch.testing.assert_close(tangent, torch.cos(x) * t)
    out, tangent, aux = ops.jvp(lambda v: (v * v, v.sum()), (x,), (t,), has_aux=True)
    torch.testing.assert_close(tangent, 2 * x * t) and torch.testing.assert_close(aux, x.sum())
    with pytest.raises(TypeError, match="tuples or lists"):
        ops.jvp(torch.sin, x, t)


def test_vectorize_broadcasts_signatures_and_excluded_arguments(rng):
    m = rng.standard_normal((3, 4, 2)).astype("float32")
    v = rng.standard_normal((2,)).astype("float32")
    matvec = ops.vectorize(lambda a, b: a @ b, signature="(m,n),(n)->(m)")
    np.testing.assert_allclose(matvec(m, v).numpy(), m @ v, rtol=1e-6)
    scale = ops.vectorize(lambda x, factor: x * factor, excluded={1})
    assert scale(torch.tensor([1.0, 2.0]), 3).tolist() == [3.0, 6.0]
    with pytest.raises(ValueError, match="not a valid gufunc signature"):
        ops.vectorize(lambda a: a, signature="(m->n")
    with pytest.raises(ValueError, match="inconsistent size for core dimension 'n'"):
        matvec(m, np.ones(3, "float32"))
    with pytest.raises(ValueError, match="Expected argument `pyfunc` to be a callable"):
        ops.vectorize(5)
    with pytest.raises(NotImplementedError, match="vectorize on KerasTensors"):
        matvec(kerasish.Input((4, 2)), v)
