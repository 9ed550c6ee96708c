"""Keras 3's scikit-learn estimators: ``keras.wrappers.SKLearnClassifier``,
``SKLearnRegressor`` and ``SKLearnTransformer``.

Each takes a compiled model, or a callable ``model(X=, y=, **model_kwargs)`` building one, and
trains it with ``fit``. Behaviour is Keras 3.15's, including what scikit-learn users notice:
``clone`` keeps ``model`` and ``model_kwargs`` but not ``fit_kwargs``; keyword arguments given
to ``fit`` are merged into the ``fit_kwargs`` dict itself; a model instance is cloned (fresh
weights, same compile arguments) for each fit. One departure: ``warm_start=True`` trains the
given model itself and then keeps training ``model_``, as Keras documents and fixed after 3.15
(3.15 cloned the model anyway).
"""

from __future__ import annotations

import copy
from typing import Any, Optional

import numpy as np

from kerasish.models.cloning import clone_model
from kerasish.models.model import Model
from kerasish.wrappers.sklearn_support import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    TargetReshaper,
    TransformerMixin,
    assert_sklearn_installed,
    check_model,
    routing_enabled,
    type_of_target,
    validate_data,
)

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


class SKLBase(BaseEstimator):
    """What the three estimators share: the parameters, model building, ``fit`` and
    ``predict`` through a target encoder.

    Args:
        model: a compiled ``Model`` (cloned for each fit unless ``warm_start``), or a callable
            returning one, called with ``X=``, ``y=`` (the encoded targets) and
            ``model_kwargs``.
        warm_start: train the same model again on each ``fit`` instead of a fresh one.
        model_kwargs: keyword arguments for ``model`` when it is a callable.
        fit_kwargs: keyword arguments for ``model.fit``; those given to ``fit`` win.

    Attributes:
        model_: the fitted model.
        history_: what ``model.fit`` returned.
    """

    def __init__(
        self,
        model: Any,
        warm_start: bool = False,
        model_kwargs: Optional[dict] = None,
        fit_kwargs: Optional[dict] = None,
    ) -> None:
        assert_sklearn_installed(self.__class__.__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def _more_tags(self) -> dict:
        return {"non_deterministic": True}  # scikit-learn < 1.6

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self) -> SKLBase:
        # Models are callable, so a model instance is shared, never deep-copied, by clones;
        # fit_kwargs is not passed on (Keras 3.15 does the same).
        model = self.model if callable(self.model) else copy.deepcopy(self.model)
        return type(self)(model=model, warm_start=self.warm_start, model_kwargs=self.model_kwargs)

    @property
    def epoch_(self) -> Any:
        """The current training epoch."""
        return getattr(self, "history_", {}).get("epoch", 0)

    def set_fit_request(self, **kwargs: Any) -> SKLBase:
        """Request metadata by name (scikit-learn's metadata routing must be enabled).

        As in Keras 3.15, the requests are recorded for ``score``.
        """
        if not routing_enabled():
            raise RuntimeError(
                "This method is only available when metadata routing is enabled. You can "
                "enable it using sklearn.set_config(enable_metadata_routing=True)."
            )
        from sklearn.utils.metadata_routing import MetadataRequest

        self._metadata_request = MetadataRequest(owner=self.__class__.__name__)
        for param, alias in kwargs.items():
            self._metadata_request.score.add_request(param=param, alias=alias)
        return self

    def _get_model(self, X: np.ndarray, y: np.ndarray) -> Any:
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            return self.model if self.warm_start else clone_model(self.model)
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X: Any, y: Any, **kwargs: Any) -> SKLBase:
        """Build (or reuse) the model and train it on ``(X, y)``; ``kwargs`` go to
        ``model.fit``."""
        X, y = validate_data(self, X, y)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        check_model(model)
        fit_kwargs = self.fit_kwargs or {}
        fit_kwargs.update(kwargs)
        self.history_ = model.fit(X, y, **fit_kwargs)
        self.model_ = model
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The model's predictions, decoded back to the targets' form."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self._reverse_process_target(self.model_.predict(X))

    def _process_target(self, y: np.ndarray, reset: bool = False) -> np.ndarray:
        type_of_target(y, raise_unknown=True)  # the error for an unusable target
        if reset:
            self._target_encoder = TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y: np.ndarray) -> np.ndarray:
        return self._target_encoder.inverse_transform(y)


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A Keras classifier as a scikit-learn estimator.

    Labels (binary or multiclass, of any type ``np.unique`` sorts) are one-hot encoded for the
    model, in the order of ``classes_``; ``predict`` maps the model's outputs back to labels
    through the same encoder, and ``decision_function`` gives the raw outputs.

    Attributes:
        model_: the fitted model.
        history_: what ``model.fit`` returned.
        classes_: the sorted labels.
    """

    def decision_function(self, X: Any) -> np.ndarray:
        """The model's raw outputs."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X)

    def _process_target(self, y: np.ndarray, reset: bool = False) -> np.ndarray:
        target_type = type_of_target(y, raise_unknown=True)
        if target_type not in ["binary", "multiclass"]:
            raise ValueError(
                "Only binary and multiclass target types are supported."
                f" Target type: {target_type}"
            )
        if reset:
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import OneHotEncoder

            self._target_encoder = make_pipeline(
                TargetReshaper(), OneHotEncoder(sparse_output=False)
            ).fit(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        return self._target_encoder.transform(y)

    def _more_tags(self) -> dict:
        return {"poor_score": True}  # scikit-learn < 1.6

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A Keras regressor as a scikit-learn estimator: 1-D targets are given to the model as
    one column and its predictions come back 1-D.

    Attributes:
        model_: the fitted model.
        history_: what ``model.fit`` returned.
    """

    def _more_tags(self) -> dict:
        return {"poor_score": True}  # scikit-learn < 1.6

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A Keras model as a scikit-learn transformer (in scikit-learn's sense: ``transform``
    returns the model's outputs, e.g. embeddings for a later pipeline step).

    Attributes:
        model_: the fitted model.
        history_: what ``model.fit`` returned.
    """

    def transform(self, X: Any) -> np.ndarray:
        """The model's outputs for ``X``."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X)

    def _more_tags(self) -> dict:
        return {"preserves_dtype": []}  # scikit-learn < 1.6

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
