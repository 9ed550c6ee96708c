"""ImageNet input preprocessing, prediction decoding and the input-shape rules of Keras' models.

Three preprocessing modes, one per family of pretrained weights:

* ``caffe`` (VGG, ResNet v1): RGB -> BGR, then subtract the ImageNet mean pixel, no scaling;
* ``tf`` (Inception, Xception, MobileNet, ResNet v2): scale to [-1, 1];
* ``torch`` (DenseNet): scale to [0, 1], then normalize by the ImageNet mean and std.

As in Keras, a float numpy array is preprocessed in place (pass ``np.copy(x)`` to keep it), a
non-float array becomes ``floatx()`` first, and tensors go through tensor arithmetic, so a
KerasTensor gives op layers that preprocess inside a model.
"""

from __future__ import annotations

import json
import warnings
from typing import Any, Optional

import numpy as np

from kerasish import activations, backend, ops
from kerasish.applications.weight_files import cached_file

_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)

_CLASS_INDEX: Optional[dict] = None


def preprocess_input(x: Any, data_format: Optional[str] = None, mode: str = "caffe") -> Any:
    """Preprocess a batch (4D) or one image (3D) with values in [0, 255]; see the module doc."""
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError(
            f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}"
        )
    if data_format is None:
        data_format = backend.image_data_format()
    elif data_format not in {"channels_first", "channels_last"}:
        raise ValueError(
            "Expected data_format to be one of `channels_first` or `channels_last`. "
            f"Received: data_format={data_format}"
        )
    if isinstance(x, np.ndarray):
        return _preprocess_array(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def _preprocess_array(x: np.ndarray, data_format: str, mode: str) -> np.ndarray:
    if not issubclass(x.dtype.type, np.floating):
        x = x.astype(backend.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    channels_first = data_format == "channels_first"
    channel_axis = (0 if x.ndim == 3 else 1) if channels_first else x.ndim - 1
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        x = np.flip(x, axis=channel_axis)  # RGB -> BGR (a view: the writes below reach x)
        mean, std = _CAFFE_MEAN_BGR, None
    shape = [1] * x.ndim
    shape[channel_axis] = 3
    x -= np.asarray(mean, dtype=x.dtype).reshape(shape)
    if std is not None:
        x /= np.asarray(std, dtype=x.dtype).reshape(shape)
    return x


def _preprocess_tensor(x: Any, data_format: str, mode: str) -> Any:
    if not str(ops.dtype(x)).startswith(("float", "bfloat")):
        x = ops.cast(x, backend.floatx())
    ndim = len(x.shape)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    channels_first = data_format == "channels_first"
    channel_axis = (0 if ndim == 3 else 1) if channels_first else ndim - 1
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        x = ops.flip(x, axis=channel_axis)
        mean, std = _CAFFE_MEAN_BGR, None
    shape = [1] * ndim
    shape[channel_axis] = 3
    x += ops.reshape(ops.convert_to_tensor(-np.asarray(mean), dtype=ops.dtype(x)), shape)
    if std is not None:
        x /= ops.reshape(ops.convert_to_tensor(np.asarray(std), dtype=ops.dtype(x)), shape)
    return x


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple]]:
    """Top ``top`` ``(class_name, description, score)`` per row of ImageNet predictions.

    The class names come from Keras' ``imagenet_class_index.json`` in the Keras cache folder.
    """
    global _CLASS_INDEX
    if len(preds.shape) != 2 or preds.shape[1] != 1000:
        raise ValueError(
            "`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
            f"(samples, 1000)). Received array with shape: {tuple(preds.shape)}"
        )
    if _CLASS_INDEX is None:
        path = cached_file("imagenet_class_index.json", "imagenet_class_index")
        with open(path) as f:
            _CLASS_INDEX = json.load(f)
    results = []
    for pred in ops.convert_to_numpy(preds):
        best = pred.argsort()[-top:][::-1]
        result = [tuple(_CLASS_INDEX[str(i)]) + (pred[i],) for i in best]
        result.sort(key=lambda item: item[2], reverse=True)
        results.append(result)
    return results


def obtain_input_shape(
    input_shape: Optional[tuple],
    default_size: int,
    min_size: int,
    data_format: str,
    require_flatten: bool,
    weights: Any = None,
) -> tuple:
    """The model's input shape: the default, or the user's after Keras' checks.

    ``require_flatten`` (``include_top=True``) needs a fully known shape; pretrained weights
    need 3 channels (and, with the top, exactly the default size).
    """
    channels_first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels not in {1, 3}:
            warnings.warn(
                "This model usually expects 1 or 3 input channels. However, it was passed an "
                f"input_shape with {channels} input channels.",
                stacklevel=3,
            )
        if channels_first:
            default_shape = (input_shape[0], default_size, default_size)
        else:
            default_shape = (default_size, default_size, input_shape[-1])
    elif channels_first:
        default_shape = (3, default_size, default_size)
    else:
        default_shape = (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(
                "When setting `include_top=True` and loading `imagenet` weights, "
                f"`input_shape` should be {default_shape}.  Received: input_shape={input_shape}"
            )
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received `input_shape={input_shape}`")
        spatial = input_shape[1:] if channels_first else input_shape[:2]
        if any(d is not None and d < min_size for d in spatial):
            raise ValueError(
                f"Input size must be at least {min_size}x{min_size}; Received: "
                f"input_shape={input_shape}"
            )
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            "If `include_top` is True, you should specify a static `input_shape`. "
            f"Received: input_shape={input_shape}"
        )
    return input_shape


def correct_pad(inputs: Any, kernel_size: Any) -> tuple:
    """The zero padding that makes a strided "valid" conv behave like TF's "same" one."""
    first = 2 if backend.image_data_format() == "channels_first" else 1
    rows, cols = tuple(inputs.shape)[first:first + 2]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if rows is None else (1 - rows % 2, 1 - cols % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation: Any, weights: Any) -> None:
    """Pretrained classifiers were trained with softmax: only softmax or logits (None) fit."""
    if weights is None:
        return
    activation = activations.get(classifier_activation)
    if activation not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError(
            "Only `None` and `softmax` activations are allowed for the "
            "`classifier_activation` argument when using pretrained weights, with "
            f"`include_top=True`; Received: classifier_activation={classifier_activation}"
        )
