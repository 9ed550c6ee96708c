"""Keras callbacks: hooks into fit, evaluate and predict (``keras.callbacks``)."""

from kerasish.callbacks.backup_and_restore import BackupAndRestore
from kerasish.callbacks.base import Callback, CallbackList, logs_to_floats
from kerasish.callbacks.csv_logger import CSVLogger
from kerasish.callbacks.early_stopping import EarlyStopping
from kerasish.callbacks.history import History
from kerasish.callbacks.lr_schedulers import LearningRateScheduler, ReduceLROnPlateau
from kerasish.callbacks.misc import LambdaCallback, TerminateOnNaN
from kerasish.callbacks.model_checkpoint import ModelCheckpoint
from kerasish.callbacks.progbar_logger import ProgbarLogger
from kerasish.callbacks.remote_monitor import RemoteMonitor
from kerasish.callbacks.swap_ema_weights import SwapEMAWeights
from kerasish.callbacks.tensorboard import TensorBoard

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "RemoteMonitor",
    "SwapEMAWeights",
    "TensorBoard",
    "TerminateOnNaN",
    "logs_to_floats",
]
