"""The scikit-learn glue Keras 3's wrappers share: the optional import, the checks and the
target reshaper.

scikit-learn is optional. This module is imported only when a wrapper class is first looked up
(``kerasish.wrappers`` resolves its names lazily), so ``import kerasish`` never imports it.
Without scikit-learn the wrapper classes still exist, on placeholder bases, and refuse to be
constructed with Keras' ``ImportError``, as Keras does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kerasish.saving.compile_state import compile_args

try:
    import sklearn
    from sklearn.base import (
        BaseEstimator,
        ClassifierMixin,
        RegressorMixin,
        TransformerMixin,
    )
except ImportError:  # the classes below must still be definable
    sklearn = None

    class BaseEstimator:  # type: ignore[no-redef]
        pass

    class ClassifierMixin:  # type: ignore[no-redef]
        pass

    class RegressorMixin:  # type: ignore[no-redef]
        pass

    class TransformerMixin:  # type: ignore[no-redef]
        pass


__all__ = [
    "BaseEstimator",
    "ClassifierMixin",
    "RegressorMixin",
    "TargetReshaper",
    "TransformerMixin",
    "assert_sklearn_installed",
    "check_model",
    "routing_enabled",
    "sklearn",
    "type_of_target",
    "validate_data",
]


def assert_sklearn_installed(symbol_name: str) -> None:
    if sklearn is None:
        raise ImportError(
            f"{symbol_name} requires `scikit-learn` to be installed. "
            "Run `pip install scikit-learn` to install it."
        )


def check_model(model: Any) -> None:
    """The wrappers train the model they are given as it is: it must come compiled."""
    args = compile_args(model)
    if args is None or not args.get("loss") or not model.optimizer:
        raise RuntimeError(
            "Given model needs to be compiled, and have a loss and an optimizer."
        )


def validate_data(estimator: Any, *args: Any, **kwargs: Any) -> Any:
    """scikit-learn's ``validate_data`` (1.6+), or the estimator method older versions had."""
    try:
        from sklearn.utils.validation import validate_data as sklearn_validate_data
    except ImportError:
        return estimator._validate_data(*args, **kwargs)
    return sklearn_validate_data(estimator, *args, **kwargs)


def type_of_target(y: Any, input_name: str = "", *, raise_unknown: bool = False) -> str:
    """scikit-learn's ``type_of_target``, raising for "unknown" targets when asked (its own
    ``raise_unknown`` is recent)."""
    from sklearn.utils.multiclass import type_of_target as sklearn_type_of_target

    target_type = sklearn_type_of_target(y, input_name=input_name)
    if raise_unknown and target_type == "unknown":
        raise ValueError(f"Unknown label type for {input_name or 'data'}: {y!r}")
    return target_type


def routing_enabled() -> bool:
    """Whether scikit-learn's metadata routing is switched on (the setting exists from
    scikit-learn 1.3; before it there is no routing)."""
    if sklearn is None:
        return False
    return bool(sklearn.get_config().get("enable_metadata_routing", False))


class TargetReshaper(TransformerMixin, BaseEstimator):
    """1-D targets as one column and back, so that column encoders (``OneHotEncoder``) accept
    them and predictions come back in the shape ``fit`` saw.

    Attributes:
        ndim_: the number of dimensions of the targets it was fitted on.
    """

    def fit(self, y: np.ndarray) -> TargetReshaper:
        self.ndim_ = y.ndim
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y: np.ndarray) -> np.ndarray:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        if self.ndim_ == 1 and y.ndim == 2:
            return np.squeeze(y, axis=1)
        return y
