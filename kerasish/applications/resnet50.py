"""``keras.applications.resnet50``: Keras' older module path for ResNet50 (see ``resnet``)."""

from kerasish.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]
