"""Keras 1 argument names, accepted with their Keras 2 meaning and a warning, as Keras 2.2.5's
``keras/legacy/interfaces.py`` accepted them.

``install()`` wraps the constructors (and ``fit``/``fit_generator``...) of the classes Keras 2
decorated: ``Dense(output_dim=10, init="uniform")`` becomes ``Dense(units=10,
kernel_initializer="uniform")`` and warns "Update your `Dense` call to the Keras 2 API: ...".
Names Keras 2.2.5 had already dropped are not accepted. The warning category is
``Keras2APIWarning``: a ``UserWarning`` as in Keras 2, and a ``DeprecationWarning`` so that
deprecation filters see it. The wrapped constructors also take NumPy integers where they
take ints, as Keras 2 and tf.keras did (Keras 3 refuses ``Dense(np.int64(5))``).
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, Optional

import numpy as np


class Keras2APIWarning(DeprecationWarning, UserWarning):
    """A Keras 1 argument name was converted to its Keras 2 spelling."""


_DIM_ORDERING = {"dim_ordering": {"tf": "channels_last", "th": "channels_first", "default": None}}
_WEIGHTS = [
    ("init", "kernel_initializer"),
    ("W_regularizer", "kernel_regularizer"),
    ("b_regularizer", "bias_regularizer"),
    ("W_constraint", "kernel_constraint"),
    ("b_constraint", "bias_constraint"),
    ("bias", "use_bias"),
]
_CONV = [("nb_filter", "filters"), ("subsample", "strides"), ("border_mode", "padding"),
         ("dim_ordering", "data_format")] + _WEIGHTS
_RECURRENT = [
    ("output_dim", "units"),
    ("init", "kernel_initializer"),
    ("inner_init", "recurrent_initializer"),
    ("inner_activation", "recurrent_activation"),
    ("W_regularizer", "kernel_regularizer"),
    ("b_regularizer", "bias_regularizer"),
    ("U_regularizer", "recurrent_regularizer"),
    ("dropout_W", "dropout"),
    ("dropout_U", "recurrent_dropout"),
    ("consume_less", "implementation"),
]


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    text = "array" if isinstance(value, np.ndarray) else str(value)
    return text if len(text) <= 10 else text[:10] + "..."


def _warn_converted(name: str, args: tuple, kwargs: dict) -> None:
    parts = [_describe(a) for a in args] + [f"{k}={_describe(v)}" for k, v in kwargs.items()]
    warnings.warn(
        f"Update your `{name}` call to the Keras 2 API: `{name}({', '.join(parts)})`",
        Keras2APIWarning,
        stacklevel=4,
    )


def _duplicate(old: str, new: str) -> TypeError:
    return TypeError(
        f"For the `{new}` argument, the layer received both the legacy keyword argument "
        f"`{old}` and the Keras 2 keyword argument `{new}`. Stick to the latter!"
    )


def convert(
    name: str,
    args: tuple,
    kwargs: dict,
    conversions: list,
    value_conversions: Optional[dict] = None,
    preprocessor: Optional[Callable] = None,
) -> tuple[tuple, dict]:
    """Keras 2.2.5's conversion: preprocessor, value renames, then keyword renames; warns with
    the converted call if anything changed. ``args[0]`` is the instance (or None)."""
    converted = False
    if preprocessor is not None:
        args, kwargs, converted = preprocessor(args, dict(kwargs))
    for key, table in (value_conversions or {}).items():
        if key in kwargs and isinstance(kwargs[key], (str, int)) and kwargs[key] in table:
            kwargs = {**kwargs, key: table[kwargs[key]]}
    for old, new in conversions:
        if old in kwargs:
            kwargs = dict(kwargs)
            value = kwargs.pop(old)
            if new in kwargs:
                raise _duplicate(old, new)
            kwargs[new] = value
            converted = True
    if converted:
        _warn_converted(name, args[1:], kwargs)  # args[0] is the instance
    return args, kwargs


# ------------------------------------------------------------------ preprocessors
# Each takes (args, kwargs) without `self` and returns (args, kwargs, converted).


def _embedding(args: tuple, kwargs: dict) -> tuple:
    if "dropout" in kwargs:
        kwargs.pop("dropout")
        warnings.warn(
            "The `dropout` argument is no longer support in `Embedding`. You can apply a "
            "`keras.layers.SpatialDropout1D` layer right after the `Embedding` layer to get the "
            "same behavior.",
            Keras2APIWarning,
            stacklevel=4,
        )
    return args, kwargs, False


def _forget_bias(kwargs: dict) -> bool:
    if "forget_bias_init" not in kwargs:
        return False
    if kwargs.pop("forget_bias_init") == "one":
        kwargs["unit_forget_bias"] = True
        return True
    warnings.warn(
        "The `forget_bias_init` argument has been ignored. Use `unit_forget_bias=True` instead "
        "to initialize with ones.",
        Keras2APIWarning,
        stacklevel=5,
    )
    return False


def _sequence_input(kwargs: dict) -> bool:
    """Keras 1's ``input_dim``/``input_length`` on sequence layers: ``input_shape``."""
    if "input_dim" not in kwargs:
        return False
    kwargs["input_shape"] = (kwargs.pop("input_length", None), kwargs.pop("input_dim"))
    return True


def _recurrent(args: tuple, kwargs: dict) -> tuple:
    converted = _forget_bias(kwargs)
    if _sequence_input(kwargs):
        warnings.warn(
            "The `input_dim` and `input_length` arguments in recurrent layers are deprecated. "
            "Use `input_shape` instead.",
            Keras2APIWarning,
            stacklevel=4,
        )
        converted = True
    return args, kwargs, converted


def _conv1d(args: tuple, kwargs: dict) -> tuple:
    return args, kwargs, _sequence_input(kwargs)


def _conv_kernel(args: tuple, kwargs: dict, rank: int) -> tuple:
    """Keras 1's separate kernel dimensions (``Conv2D(32, 3, 3)``, ``nb_row=``/``nb_col=``,
    ``kernel_dim1..3=``) as one ``kernel_size`` tuple.

    Positional integers after ``filters`` mean kernel dimensions only while no ``padding``,
    ``strides`` or ``data_format`` keyword is given: with one, the call is Keras 2/3 code whose
    third positional argument is ``strides`` (Keras 2.2.5 refused such calls as ambiguous).
    """
    names = ("nb_row", "nb_col") if rank == 2 else ("kernel_dim1", "kernel_dim2", "kernel_dim3")
    if len(args) > rank + 2:
        raise TypeError(f"Layer can receive at most {rank + 1} positional arguments.")
    dims = list(args[2:])
    # ``Conv2D(32, 3, 2)`` means strides=2 to tf.keras and Keras 3 but kernel (3, 2) to Keras 2.2.5:
    # the Keras 2 reading applies only to scripts run as Keras 2 code (install_as_keras /
    # ``python -m kerasish``), where that is what the author meant.
    if dims and all(isinstance(d, int) for d in dims) and (len(dims) == 1 or _running_as_keras()):
        missing = names[len(dims):]
        keras2_call = any(k in kwargs for k in ("padding", "strides", "data_format"))
        if (len(dims) > 1 or missing) and all(k in kwargs for k in missing) and not (
            keras2_call and len(dims) > 1
        ):
            size = tuple(dims) + tuple(kwargs.pop(k) for k in missing)
            return (args[0], args[1], size), kwargs, True
    if not dims and all(k in kwargs for k in names):
        size = tuple(kwargs.pop(k) for k in names)
        if len(args) == 2:
            return (args[0], args[1], size), kwargs, True
        kwargs["kernel_size"] = size
        return args, kwargs, True
    return args, kwargs, False


def _running_as_keras() -> bool:
    from kerasish.compat import import_hook

    return import_hook.is_installed()


def _conv2d(args: tuple, kwargs: dict) -> tuple:
    return _conv_kernel(args, kwargs, 2)


def _conv3d(args: tuple, kwargs: dict) -> tuple:
    return _conv_kernel(args, kwargs, 3)


def _separable_conv2d(args: tuple, kwargs: dict) -> tuple:
    converted = False
    if "init" in kwargs:
        init = kwargs.pop("init")
        kwargs["depthwise_initializer"] = init
        kwargs["pointwise_initializer"] = init
        converted = True
    args, kwargs, more = _conv2d(args, kwargs)
    return args, kwargs, converted or more


def _deconv2d(args: tuple, kwargs: dict) -> tuple:
    converted = False
    if len(args) == 5 and isinstance(args[4], tuple):
        args, converted = args[:-1], True
    if "output_shape" in kwargs:
        kwargs.pop("output_shape")
        converted = True
    args, kwargs, more = _conv2d(args, kwargs)
    return args, kwargs, converted or more


def _convlstm2d(args: tuple, kwargs: dict) -> tuple:
    converted = _forget_bias(kwargs)
    args, kwargs, more = _conv2d(args, kwargs)
    return args, kwargs, converted or more


def _batchnorm(args: tuple, kwargs: dict) -> tuple:
    if len(args) > 1:
        raise TypeError(
            "The `BatchNormalization` layer does not accept positional arguments. Use keyword "
            "arguments instead."
        )
    if "mode" in kwargs:
        if kwargs.pop("mode") != 0:
            raise TypeError(
                "The `mode` argument of `BatchNormalization` no longer exists. `mode=1` and "
                "`mode=2` are no longer supported."
            )
        return args, kwargs, True
    return args, kwargs, False


def _zeropadding2d(args: tuple, kwargs: dict) -> tuple:
    keys = {"top_pad", "bottom_pad", "left_pad", "right_pad"}

    def as_tuple(padding: dict) -> tuple:
        return (
            (padding.get("top_pad", 0), padding.get("bottom_pad", 0)),
            (padding.get("left_pad", 0), padding.get("right_pad", 0)),
        )

    if isinstance(kwargs.get("padding"), dict) and set(kwargs["padding"]) <= keys:
        kwargs["padding"] = as_tuple(kwargs["padding"])
        return args, kwargs, True
    if len(args) == 2 and isinstance(args[1], dict) and set(args[1]) <= keys:
        return (args[0], as_tuple(args[1])), kwargs, True
    return args, kwargs, False


def _generator_methods(args: tuple, kwargs: dict) -> tuple:
    """``samples_per_epoch`` counted samples; Keras 2 counts batches (``steps_per_epoch``)."""
    if len(args) < 3 and "samples_per_epoch" in kwargs:
        samples = kwargs.pop("samples_per_epoch")
        generator = args[1] if len(args) > 1 else kwargs.get("generator")
        if hasattr(generator, "batch_size"):
            kwargs["steps_per_epoch"] = samples // generator.batch_size
        else:
            warnings.warn(
                "The semantics of the Keras 2 argument `steps_per_epoch` is not the same as the "
                "Keras 1 argument `samples_per_epoch`. `steps_per_epoch` is the number of batches "
                "to draw from the generator at each epoch. Update your method calls accordingly.",
                Keras2APIWarning,
                stacklevel=4,
            )
            kwargs["steps_per_epoch"] = samples
        return args, kwargs, True
    return args, kwargs, False


# ------------------------------------------------------------------ the tables

_POOLING_ND = [("border_mode", "padding"), ("dim_ordering", "data_format")]
_LAYERS: dict[str, tuple] = {
    "Dense": ([("output_dim", "units")] + _WEIGHTS, None, None),
    "Dropout": ([("p", "rate")], None, None),
    "Embedding": (
        [("init", "embeddings_initializer"), ("W_regularizer", "embeddings_regularizer"),
         ("W_constraint", "embeddings_constraint")],
        None,
        _embedding,
    ),
    "PReLU": ([("init", "alpha_initializer")], None, None),
    "GaussianNoise": ([("sigma", "stddev")], None, None),
    "GaussianDropout": ([("p", "rate")], None, None),
    "SpatialDropout1D": ([("p", "rate")], None, None),
    "SpatialDropout2D": ([("p", "rate"), ("dim_ordering", "data_format")], _DIM_ORDERING, None),
    "SpatialDropout3D": ([("p", "rate"), ("dim_ordering", "data_format")], _DIM_ORDERING, None),
    "UpSampling1D": ([("length", "size")], None, None),
    "UpSampling2D": ([("dim_ordering", "data_format")], _DIM_ORDERING, None),
    "UpSampling3D": ([("dim_ordering", "data_format")], _DIM_ORDERING, None),
    "ZeroPadding2D": ([("dim_ordering", "data_format")], _DIM_ORDERING, _zeropadding2d),
    "ZeroPadding3D": ([("dim_ordering", "data_format")], _DIM_ORDERING, None),
    "Cropping2D": ([("dim_ordering", "data_format")], _DIM_ORDERING, None),
    "Cropping3D": ([("dim_ordering", "data_format")], _DIM_ORDERING, None),
    "Conv1D": (
        [("nb_filter", "filters"), ("filter_length", "kernel_size"),
         ("subsample_length", "strides"), ("border_mode", "padding")] + _WEIGHTS,
        None,
        _conv1d,
    ),
    "Conv2D": (_CONV, _DIM_ORDERING, _conv2d),
    "Conv3D": (_CONV, _DIM_ORDERING, _conv3d),
    "Conv2DTranspose": (_CONV, _DIM_ORDERING, _deconv2d),
    "SeparableConv2D": (
        [c for c in _CONV if c[0] not in ("init", "W_regularizer", "W_constraint")],
        _DIM_ORDERING,
        _separable_conv2d,
    ),
    "ConvLSTM2D": (
        _CONV + [("inner_init", "recurrent_initializer"), ("U_regularizer", "recurrent_regularizer"),
                 ("inner_activation", "recurrent_activation"), ("dropout_W", "dropout"),
                 ("dropout_U", "recurrent_dropout")],
        _DIM_ORDERING,
        _convlstm2d,
    ),
    "BatchNormalization": (
        [("beta_init", "beta_initializer"), ("gamma_init", "gamma_initializer")], None, _batchnorm
    ),
    **{
        name: (_RECURRENT, {"consume_less": {"cpu": 0, "mem": 1, "gpu": 2}}, _recurrent)
        for name in ("SimpleRNN", "GRU", "LSTM")
    },
    **{
        name: ([("pool_length", "pool_size"), ("stride", "strides"), ("border_mode", "padding")], None, None)
        for name in ("MaxPooling1D", "AveragePooling1D")
    },
    **{
        name: (_POOLING_ND, _DIM_ORDERING, None)
        for name in ("MaxPooling2D", "AveragePooling2D", "MaxPooling3D", "AveragePooling3D")
    },
    **{
        name: ([("dim_ordering", "data_format")], _DIM_ORDERING, None)
        for name in (
            "GlobalMaxPooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling2D",
            "GlobalAveragePooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling3D",
        )
    },
}
_GENERATOR_CONVERSIONS = [
    ("samples_per_epoch", "steps_per_epoch"),
    ("val_samples", "steps"),
    ("nb_epoch", "epochs"),
    ("nb_val_samples", "validation_steps"),
    ("nb_worker", "workers"),
]
_MODEL_CONVERSIONS = [("input", "inputs"), ("output", "outputs")]


def _wrap_init(cls: type, conversions: list, values: Optional[dict], preprocessor: Any) -> None:
    original = cls.__init__
    if getattr(original, "_kerasish_legacy", False):
        return

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        # Positional Keras 1 forms (Conv2D(32, 3, 3)) only for the class itself: a subclass
        # passing its own positional arguments up means them in Keras 2's order.
        own = type(self).__init__ is __init__
        # Keras 2 and tf.keras took NumPy integers (`Dense(np.max(y) + 1)`) as ints.
        args = tuple(int(a) if isinstance(a, np.integer) else a for a in args)
        kwargs = {k: int(v) if isinstance(v, np.integer) else v for k, v in kwargs.items()}
        full, kwargs = convert(
            cls.__name__,
            (self, *args),
            kwargs,
            conversions,
            values,
            preprocessor if own or preprocessor in (_recurrent, _embedding) else None,
        )
        original(*full, **kwargs)

    __init__._kerasish_legacy = True
    cls.__init__ = __init__


def _wrap_method(cls: type, name: str, conversions: list, preprocessor: Any = None) -> None:
    original = getattr(cls, name)
    if getattr(original, "_kerasish_legacy", False):
        return

    @functools.wraps(original)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        full, kwargs = convert(name, (self, *args), kwargs, conversions, None, preprocessor)
        return original(*full, **kwargs)

    method._kerasish_legacy = True
    setattr(cls, name, method)


def _fit_nb_epoch(cls: type) -> None:
    original = cls.fit
    if getattr(original, "_kerasish_legacy", False):
        return

    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        if "nb_epoch" in kwargs:
            warnings.warn(
                "The `nb_epoch` argument in `fit` has been renamed `epochs`.",
                Keras2APIWarning,
                stacklevel=2,
            )
            kwargs["epochs"] = kwargs.pop("nb_epoch")
        return original(self, *args, **kwargs)

    fit._kerasish_legacy = True
    cls.fit = fit


def _wrap_model_new(model_cls: type, functional_cls: type) -> None:
    original_new = model_cls.__new__
    if getattr(original_new, "_kerasish_legacy", False):
        return

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        _, kwargs = convert("Model", (None,), kwargs, _MODEL_CONVERSIONS)
        return original_new(cls, *args, **kwargs)

    __new__._kerasish_legacy = True
    model_cls.__new__ = __new__
    original_init = functional_cls.__init__

    @functools.wraps(original_init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        for old, new in _MODEL_CONVERSIONS:
            if old in kwargs:
                if new in kwargs:
                    raise _duplicate(old, new)
                kwargs[new] = kwargs.pop(old)
        original_init(self, *args, **kwargs)

    __init__._kerasish_legacy = True
    functional_cls.__init__ = __init__


def install() -> None:
    """Wrap the Keras 2 classes once (idempotent)."""
    from kerasish import layers
    from kerasish.models.functional import Functional
    from kerasish.models.model import Model

    for name, (conversions, values, preprocessor) in _LAYERS.items():
        _wrap_init(getattr(layers, name), conversions, values, preprocessor)
    for method in ("fit_generator", "evaluate_generator", "predict_generator"):
        _wrap_method(Model, method, _GENERATOR_CONVERSIONS, _generator_methods)
    _fit_nb_epoch(Model)
    _wrap_model_new(Model, Functional)
