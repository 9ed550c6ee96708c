"""keras.regularizers: Keras 3's OrthogonalRegularizer and ``deserialize``."""

import pytest
import torch

from kerasish import regularizers


def test_orthogonal_rows_give_no_penalty_and_parallel_rows_the_full_factor():
    regularizer = regularizers.OrthogonalRegularizer(factor=0.5)
    assert regularizer(torch.eye(3) * 4.0).item() == pytest.approx(0.0)
    parallel = torch.tensor([[1.0, 2.0], [2.0, 4.0]])
    # One pair with |cos| = 1, counted twice in the product: 0.5 * 0.5 * 2 / 1.
    assert regularizer(parallel).item() == pytest.approx(0.5, abs=1e-6)
    assert regularizers.OrthogonalRegularizer(0.5, "columns")(parallel.T).item() == pytest.approx(0.5, abs=1e-6)


def test_orthogonal_mode_picks_rows_or_columns():
    x = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    rows = regularizers.OrthogonalRegularizer(1.0, "rows")(x)
    columns = regularizers.OrthogonalRegularizer(1.0, "columns")(x)
    assert rows.item() == pytest.approx(0.5 * 2 / 3, abs=1e-6)
    assert columns.item() == pytest.approx(0.0, abs=1e-6)


def test_orthogonal_errors_and_config():
    with pytest.raises(ValueError, match="expected a non-negative float.Received: factor=-1"):
        regularizers.OrthogonalRegularizer(-1)
    with pytest.raises(ValueError, match="Received: mode=diag"):
        regularizers.OrthogonalRegularizer(mode="diag")
    with pytest.raises(ValueError, match="must have rank 2"):
        regularizers.OrthogonalRegularizer()(torch.ones(2, 2, 2))
    regularizer = regularizers.get({"class_name": "OrthogonalRegularizer", "config": {"factor": 0.1, "mode": "columns"}})
    assert regularizer.get_config() == {"factor": pytest.approx(0.1), "mode": "columns"}
    assert regularizers.orthogonal_regularizer is regularizers.OrthogonalRegularizer
    assert isinstance(regularizers.get("orthogonal_regularizer"), regularizers.OrthogonalRegularizer)


def test_deserialize():
    assert isinstance(regularizers.deserialize("l1l2"), regularizers.L1L2)
    assert regularizers.deserialize({"class_name": "L2", "config": {"l2": 0.3}}).l2 == pytest.approx(0.3)
    assert regularizers.deserialize("unknown_name") == "unknown_name"
