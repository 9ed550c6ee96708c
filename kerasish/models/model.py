"""Model: a Layer with inference (and, later, training) loops and model-level utilities.

``Model(inputs, outputs)`` returns a ``Functional`` (as tf.keras and Keras 3 do); subclassing
``Model`` and writing ``call`` gives an eager model whose forward is the user's own code.
"""

from __future__ import annotations

from typing import Any, Optional

import torch

from kerasish import config as keras_config
from kerasish.layers.base import Layer
from kerasish.models.model_state import ModelStateMixin
from kerasish.training import data as data_adapter
from kerasish.training.trainer import Trainer, phase_mode
from kerasish.utils import numpy_values, tree


class Model(ModelStateMixin, Trainer, Layer):
    _casts_direct_inputs = False  # inputs take their Input layers' dtypes

    def __new__(cls, *args: Any, **kwargs: Any):
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs):
            from kerasish.models.functional import Functional

            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if _functional_arguments(args, kwargs):
            # ``class Custom(keras.Model)`` built as ``Custom(inputs, outputs)``: Keras makes the
            # subclass functional by putting Functional in its bases, so its own train_step etc.
            # run on a functional graph.
            from kerasish.models.functional import Functional

            _inject_functional(type(self), Functional)
            Functional.__init__(self, *args, **kwargs)
            return
        allowed = {"name", "trainable", "dtype"}
        unknown = set(kwargs) - allowed
        if args or unknown:
            raise TypeError(
                f"Model.__init__() got unexpected arguments {args or ''} "
                f"{sorted(unknown) or ''}; a functional model needs `inputs` and `outputs`."
            )
        super().__init__(**kwargs)

    @classmethod
    def _default_name(cls) -> str:
        return "model" if cls.__name__ in {"Model", "Functional"} else super()._default_name()

    @property
    def layers(self) -> list[Layer]:
        return self._tracked_layers()

    @classmethod
    def from_config(cls, config: dict, custom_objects: Optional[dict] = None) -> Model:
        if "input_layers" in config and "output_layers" in config:
            from kerasish.saving.model_config import functional_from_config

            return functional_from_config(cls, config, custom_objects)
        return cls(**config)

    def get_layer(self, name: Optional[str] = None, index: Optional[int] = None) -> Layer:
        if index is not None and name is not None:
            raise ValueError(
                f"Provide only a layer name or a layer index. Received: index={index}, "
                f"name={name}."
            )
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has "
                    f"{len(self.layers)} layers."
                )
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(
                f"No such layer: {name}. Existing layers are: {[layer.name for layer in self.layers]}."
            )
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def summary(
        self,
        line_length: Optional[int] = None,
        positions: Optional[list] = None,
        print_fn: Any = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Optional[list] = None,
    ) -> None:
        """Print the layer table (see ``kerasish.utils.summary.print_summary``)."""
        if not self.built:
            raise ValueError(
                "This model has not yet been built. Build the model first by calling `build()` "
                "or by calling the model on a batch of data."
            )
        from kerasish.utils.summary import print_summary

        print_summary(
            self,
            line_length=line_length,
            positions=positions,
            print_fn=print_fn,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
            layer_range=layer_range,
        )

    def quantize(self, mode: Optional[str] = None, config: Any = None, filters: Any = None,
                 **kwargs: Any) -> None:
        """Quantize the weights of every supported layer (Keras 3: Dense, EinsumDense,
        Embedding) to ``mode`` ("int8", "int4", "float8") or as ``config`` says; ``filters``
        (a regex on layer names, a list of them, or a predicate) selects layers."""
        from kerasish.quantizers.model_quantize import quantize_model

        quantize_model(self, mode, config, filters, kwargs)

    # ------------------------------------------------------------------ saving (saving/)

    def save(
        self,
        filepath: Any,
        overwrite: bool = True,
        save_format: Optional[str] = None,
        include_optimizer: bool = True,
        **kwargs: Any,
    ) -> None:
        """``.keras`` (Keras 3 zip) or ``.h5``/``.hdf5``/h5py object (Keras 2 HDF5)."""
        from kerasish.saving import saving_api

        saving_api.save_model(self, filepath, overwrite, save_format, include_optimizer, **kwargs)

    def export(
        self,
        filepath: Any,
        format: str = "tf_saved_model",
        verbose: Optional[bool] = None,
        input_signature: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Keras 3's inference artifact: ``format="onnx"`` or ``"torch"`` (a ``.pt2``
        ``torch.export`` program); TensorFlow/OpenVINO/LiteRT formats are refused by name."""
        from kerasish.models.export import export_model

        return export_model(self, filepath, format, verbose, input_signature, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True, save_format: Optional[str] = None) -> None:
        """``.weights.h5`` (Keras 3 layout) or ``.h5``/``.hdf5`` (Keras 2 layout)."""
        from kerasish.saving import saving_api

        saving_api.save_weights(self, filepath, overwrite, save_format)

    def load_weights(
        self, filepath: Any, by_name: bool = False, skip_mismatch: bool = False, reshape: bool = False
    ) -> None:
        from kerasish.saving import saving_api

        saving_api.load_weights(self, filepath, by_name, skip_mismatch, reshape)

    def to_json(self, **kwargs: Any) -> str:
        from kerasish.saving import json_yaml

        return json_yaml.to_json(self, **kwargs)

    def to_yaml(self, **kwargs: Any) -> str:
        from kerasish.saving import json_yaml

        return json_yaml.to_yaml(self, **kwargs)

    def reset_states(self) -> None:
        """Zero the states of every stateful layer (stateful RNNs), as Keras 2's Model did."""
        for module in self.modules():
            if getattr(module, "stateful", False) and not isinstance(module, Model):
                module.reset_states()

    # ---------------------------------------------------------------- inference

    @property
    def _device(self) -> torch.device:
        for tensor in self.parameters():
            return tensor.device
        for tensor in self.buffers():
            return tensor.device
        return torch.device("cpu")

    def _input_dtypes(self, count: int) -> list:
        inputs = getattr(self, "inputs", None)
        if inputs:
            return [t.dtype for t in inputs]
        return [self.compute_dtype] * count

    def _prepare_inputs(self, x: Any) -> list[torch.Tensor]:
        if getattr(self, "inputs", None):
            flat = data_adapter.flatten_model_inputs(self, x)
        else:
            flat = tree.flatten(x) if isinstance(x, (list, tuple, dict)) else [x]
        device = self._device
        dtypes = self._input_dtypes(len(flat))
        return [data_adapter.to_tensor(v, dtype, device) for v, dtype in zip(flat, dtypes)]

    def _run_batch(self, batch: list[torch.Tensor]) -> Any:
        # Inference is explicit, as Keras' predict passes it: a training value recorded in a
        # Keras 3 config (augmentation layers record True) holds only when the call leaves it unset.
        if type(self).predict_step is not Trainer.predict_step:
            nested = getattr(self, "_nested_inputs", None)
            if nested is not None:
                return self.predict_step(tree.pack_sequence_as(nested, batch))
            return self.predict_step(batch[0] if len(batch) == 1 else list(batch))
        kwargs = {"training": phase_mode(False)} if self._call_accepts_training else {}
        return self(*batch, **kwargs) if len(batch) > 1 else self(batch[0], **kwargs)

    def predict_on_batch(self, x: Any) -> Any:
        batch = self._prepare_inputs(x)
        with _inference(self):
            outputs = self._run_batch(batch)
        return tree.map_structure(_to_numpy, outputs)

    def predict(
        self,
        x: Any,
        batch_size: Optional[int] = None,
        verbose: Any = "auto",
        steps: Optional[int] = None,
        callbacks: Any = None,
    ) -> Any:
        from kerasish.training import data_adapters

        verbose = 1 if verbose == "auto" else int(verbose)
        batch_size = int(batch_size or 32)
        steps = keras_config.capped_steps(steps)
        if data_adapters.is_iterator_source(x):
            adapter = data_adapters.IteratorDataAdapter(x, steps, self._batch_splitter())
        else:
            inputs = self._prepare_inputs(x)
            if verbose == 0 and callbacks is None and steps is None and _one_batch(inputs, batch_size):
                # Nobody watching one batch: no adapter, callback list or concatenation.
                with _inference(self):
                    outputs = self._run_batch(inputs)
                return tree.map_structure(lambda out: _owned_numpy(out, inputs), outputs)
            adapter = data_adapters.ArrayDataAdapter(inputs, None, None, batch_size, steps=steps)
        from kerasish.callbacks import CallbackList

        callback_list = CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
            steps=adapter.steps_per_epoch,
        )
        collected: list = []
        callback_list.on_predict_begin()
        with _inference(self):
            for step, (batch, _, _) in enumerate(adapter.epoch()):
                callback_list.on_predict_batch_begin(step)
                outputs = self._run_batch(batch)
                collected.append(outputs)
                callback_list.on_predict_batch_end(step, {"outputs": outputs})
        if not collected:
            raise ValueError("The data passed to `predict()` produced no batches.")
        callback_list.on_predict_end()
        first = collected[0]
        flat_batches = [tree.flatten(out) for out in collected]
        joined = [torch.cat(parts) for parts in zip(*flat_batches)]
        return tree.pack_sequence_as(first, [_to_numpy(t) for t in joined])


def _functional_arguments(args: tuple, kwargs: dict) -> bool:
    """Keras' test for ``Model(inputs, outputs)``-style construction arguments."""
    return (
        len(args) == 2
        or (len(args) == 1 and "outputs" in kwargs)
        or ("inputs" in kwargs and "outputs" in kwargs)
    )


def _inject_functional(cls: type, functional: type) -> type:
    """Replace ``Model`` by ``Functional`` in ``cls``'s bases (recursively), as Keras does."""
    if cls is Model:
        return functional
    if cls is object or not issubclass(cls, Model) or issubclass(cls, functional):
        return cls
    cls.__bases__ = tuple(_inject_functional(base, functional) for base in cls.__bases__)
    return cls


class _inference:
    """Eval mode and no autograd for the duration, restoring the previous mode afterwards."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model

    def __enter__(self):
        mode = phase_mode(False)
        # Reading every module's flag is cheaper than ``train()``'s attribute writes, and
        # models usually are in eval mode already (layers start there, as in Keras).
        self.switched = any(module.training != mode for module in self.model.modules())
        if self.switched:
            self.was_training = self.model.training
            self.model.train(mode)
        self.grad = torch.inference_mode()
        self.grad.__enter__()

    def __exit__(self, *exc):
        self.grad.__exit__(*exc)
        if self.switched:
            self.model.train(self.was_training)


def _one_batch(inputs: list[torch.Tensor], batch_size: int) -> bool:
    if not inputs or any(x.ndim == 0 for x in inputs):
        return False
    return 0 < data_adapter.num_samples(inputs) <= batch_size


def _owned_numpy(value: Any, inputs: list[torch.Tensor]) -> Any:
    """``_to_numpy``, copying an output that shares memory with an input (an identity model
    would otherwise hand back a view of the caller's own array)."""
    array = _to_numpy(value)
    if isinstance(value, torch.Tensor) and any(
        isinstance(x, torch.Tensor) and value.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
        for x in inputs
    ):
        return array.copy()
    return array


def _to_numpy(value: Any) -> Any:
    return numpy_values.to_numpy(value) if isinstance(value, torch.Tensor) else value
