"""``keras.datasets``: the classic small datasets, fetched with ``get_file`` from the URLs and
under the file names Keras uses, so a Keras cache (``~/.keras/datasets``) serves both."""

from kerasish.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist", "imdb", "mnist", "reuters"]
