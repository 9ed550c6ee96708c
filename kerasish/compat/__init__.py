"""Running unmodified Keras 2 / tf.keras code on kerasish: the import hook and the script
runner behind ``python -m kerasish script.py``."""

from kerasish.compat.import_hook import install_as_keras, is_installed, uninstall

__all__ = ["install_as_keras", "is_installed", "uninstall"]
