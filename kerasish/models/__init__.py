"""Models: ``Model``/``Functional``, ``Sequential``, and the lowering to a generated forward."""

from kerasish.models.cloning import clone_model
from kerasish.models.functional import Functional
from kerasish.models.model import Model
from kerasish.models.sequential import Sequential
from kerasish.saving.json_yaml import model_from_json, model_from_yaml
from kerasish.saving.model_config import model_from_config
from kerasish.saving.saving_api import load_model, save_model

__all__ = [
    "Functional",
    "Model",
    "Sequential",
    "clone_model",
    "load_model",
    "model_from_config",
    "model_from_json",
    "model_from_yaml",
    "save_model",
]
