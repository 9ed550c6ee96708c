"""tf.keras 2's ``keras.wrappers.scikit_learn``: ``KerasClassifier`` and ``KerasRegressor``.

Old scripts pass ``build_fn`` (a function, an object with ``__call__``, or ``None`` for a
subclass defining ``__call__``) and ``sk_params``: the keyword arguments of ``build_fn`` and of
``Sequential.fit``/``predict``/``evaluate`` mixed together, split again by name on each call.
Every ``fit`` builds a new model. The wrappers duck-type the estimator API with their own
``get_params``/``set_params``, so scikit-learn's ``clone``, ``GridSearchCV`` and
``cross_val_score`` work on them; this module itself does not import scikit-learn.

Behaviour is tf.keras 2.11's, quirks included: ``predict``/``predict_proba`` of the classifier
use ``Model.predict``'s defaults (``sk_params`` such as ``verbose`` are not applied);
``nb_epoch`` passes ``check_params`` but reaches no method. Added for scikit-learn 1.6+, which
asks every estimator for ``__sklearn_tags__``: tags saying classifier or regressor (tf.keras had
none, which is what recent scikit-learn needs to stratify folds and to use ``predict_proba``
in scorers such as ``roc_auc``).
"""

from __future__ import annotations

import copy
import inspect
import types
import warnings
from typing import Any, Callable, Optional

import numpy as np

from kerasish import losses
from kerasish.models import Sequential
from kerasish.saving.compile_state import compile_args
from kerasish.utils.numerical import to_categorical

__all__ = ["BaseWrapper", "KerasClassifier", "KerasRegressor"]

_DEPRECATION = (
    "{} is deprecated, use Sci-Keras (https://github.com/adriangb/scikeras) instead. See "
    "https://www.adriangb.com/scikeras/stable/migration.html for help migrating."
)


def _has_arg(fn: Callable, name: str) -> bool:
    """Whether ``fn`` takes ``name`` as a named argument (``**kwargs`` does not count)."""
    parameter = inspect.signature(fn).parameters.get(name)
    return parameter is not None and parameter.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )


def _model_loss(model: Any) -> Any:
    """The ``loss`` argument the model was compiled with (tf.keras' ``model.loss``)."""
    args = compile_args(model)
    return None if args is None else args.get("loss")


def _is_categorical_crossentropy(loss: Any) -> bool:
    return (
        isinstance(loss, losses.CategoricalCrossentropy)
        or (
            isinstance(loss, losses.LossFunctionWrapper)
            and loss.fn is losses.categorical_crossentropy
        )
        or getattr(loss, "__name__", None) == "categorical_crossentropy"
        or (isinstance(loss, str) and loss == "categorical_crossentropy")
    )


class BaseWrapper:
    """Builds a model with ``build_fn`` and routes ``sk_params`` to it and to
    ``fit``/``predict``/``evaluate`` by argument name.

    Arguments given to a method win over ``sk_params``, which win over ``Sequential``'s
    defaults. Every name in ``sk_params`` can be searched over by ``GridSearchCV``.
    """

    def __init__(self, build_fn: Optional[Callable] = None, **sk_params: Any) -> None:
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def _build_fn_signature_source(self) -> Callable:
        if self.build_fn is None:
            return self.__call__
        if not isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            return self.build_fn.__call__
        return self.build_fn

    def check_params(self, params: dict) -> None:
        """Refuse names no method takes: they are typos that would otherwise be ignored."""
        legal_fns = [Sequential.fit, Sequential.predict, Sequential.evaluate]
        legal_fns.append(self._build_fn_signature_source())
        for name in params:
            if not any(_has_arg(fn, name) for fn in legal_fns) and name != "nb_epoch":
                raise ValueError(f"{name} is not a legal parameter")

    def get_params(self, **params: Any) -> dict:
        """``sk_params`` and ``build_fn`` (``deep`` and other arguments are ignored)."""
        result = self.sk_params.copy()
        result.update({"build_fn": self.build_fn})
        return result

    def set_params(self, **params: Any) -> BaseWrapper:
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn: Callable, override: Optional[dict] = None) -> dict:
        """The ``sk_params`` that ``fn`` takes by name, updated with ``override``."""
        result = {name: value for name, value in self.sk_params.items() if _has_arg(fn, name)}
        result.update(override or {})
        return result

    def fit(self, x: Any, y: Any, **kwargs: Any) -> Any:
        """Build a new model and train it; returns its ``History``. Integer labels are one-hot
        encoded when the model's loss is categorical cross-entropy."""
        build = self._build_fn_signature_source()
        target = self.__call__ if self.build_fn is None else self.build_fn
        self.model = target(**self.filter_sk_params(build))

        if _is_categorical_crossentropy(_model_loss(self.model)) and len(y.shape) != 2:
            y = to_categorical(y)

        fit_args = copy.deepcopy(self.filter_sk_params(Sequential.fit))
        fit_args.update(kwargs)
        return self.model.fit(x, y, **fit_args)

    def _sklearn_tags(self, estimator_type: str) -> Any:
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags

        return Tags(
            estimator_type=estimator_type,
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags() if estimator_type == "classifier" else None,
            regressor_tags=RegressorTags() if estimator_type == "regressor" else None,
            non_deterministic=True,
        )


class KerasClassifier(BaseWrapper):
    """tf.keras 2's scikit-learn classifier API (deprecated there in favour of SciKeras).

    ``fit`` sorts the labels into ``classes_`` and trains on their indices; ``predict`` maps
    the model's argmax (or its 0.5 threshold for one output) back to labels.
    """

    _estimator_type = "classifier"  # scikit-learn < 1.6 reads this instead of tags

    def __init__(self, build_fn: Optional[Callable] = None, **sk_params: Any) -> None:
        warnings.warn(_DEPRECATION.format("KerasClassifier"), DeprecationWarning, stacklevel=2)
        super().__init__(build_fn, **sk_params)

    def __sklearn_tags__(self) -> Any:
        return self._sklearn_tags("classifier")

    def fit(self, x: Any, y: Any, **kwargs: Any) -> Any:
        y = np.array(y)
        if len(y.shape) == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif (len(y.shape) == 2 and y.shape[1] == 1) or len(y.shape) == 1:
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError("Invalid shape for y: " + str(y.shape))
        self.n_classes_ = len(self.classes_)
        return super().fit(x, y, **kwargs)

    def predict(self, x: Any, **kwargs: Any) -> np.ndarray:
        """Class labels, from ``classes_``."""
        proba = self.model.predict(x, **kwargs)
        if proba.shape[-1] > 1:
            classes = proba.argmax(axis=-1)
        else:
            classes = (proba > 0.5).astype("int32")
        return self.classes_[classes]

    def predict_proba(self, x: Any, **kwargs: Any) -> np.ndarray:
        """Class probabilities; a single sigmoid output becomes scikit-learn's two columns
        ``[1 - p, p]``."""
        probs = self.model.predict(x, **kwargs)
        if probs.shape[1] == 1:
            probs = np.hstack([1 - probs, probs])
        return probs

    def score(self, x: Any, y: Any, **kwargs: Any) -> Any:
        """The model's accuracy metric on ``(x, y)``: it must be compiled with
        ``metrics=["accuracy"]`` (or ``"acc"``)."""
        y = np.searchsorted(self.classes_, y)
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)

        loss_name = _model_loss(self.model)
        if hasattr(loss_name, "__name__"):
            loss_name = loss_name.__name__
        if isinstance(loss_name, str) and loss_name == "categorical_crossentropy":
            if len(y.shape) != 2:
                y = to_categorical(y)

        outputs = self.model.evaluate(x, y, **kwargs)
        if not isinstance(outputs, list):
            outputs = [outputs]
        for name, output in zip(self.model.metrics_names, outputs):
            if name in ["accuracy", "acc"]:
                return output
        raise ValueError(
            "The model is not configured to compute accuracy. You should pass "
            '`metrics=["accuracy"]` to the `model.compile()` method.'
        )


class KerasRegressor(BaseWrapper):
    """tf.keras 2's scikit-learn regressor API (deprecated there in favour of SciKeras);
    ``score`` is the negated loss, so that greater is better."""

    _estimator_type = "regressor"  # scikit-learn < 1.6 reads this instead of tags

    def __init__(self, build_fn: Optional[Callable] = None, **sk_params: Any) -> None:
        warnings.warn(_DEPRECATION.format("KerasRegressor"), DeprecationWarning, stacklevel=2)
        super().__init__(build_fn, **sk_params)

    def __sklearn_tags__(self) -> Any:
        return self._sklearn_tags("regressor")

    def predict(self, x: Any, **kwargs: Any) -> np.ndarray:
        """Predictions with length-1 axes squeezed away."""
        kwargs = self.filter_sk_params(Sequential.predict, kwargs)
        return np.squeeze(self.model.predict(x, **kwargs))

    def score(self, x: Any, y: Any, **kwargs: Any) -> Any:
        """The negated loss on ``(x, y)``."""
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        loss = self.model.evaluate(x, y, **kwargs)
        if isinstance(loss, list):
            return -loss[0]
        return -loss
