"""TextVectorization: raw strings to token indices or token encodings.

Each batch is standardized, split into tokens, optionally turned into n-grams (``text_ops``:
TensorFlow's semantics in Python) and looked up by an inner ``StringLookup`` whose mask token
``""`` is the padding index 0, as in Keras (it is the attribute ``_lookup_layer`` there too, so
``.keras`` files hold its state under ``text_vectorization/_lookup_layer``). Rows of different
lengths are padded to the longest row, or cut/padded to ``output_sequence_length``; the other
output modes encode the rows into ``(batch, vocabulary)`` vectors.

A callable ``standardize`` receives a NumPy unicode array (what Keras passes it on its non-TF
backends); a callable ``split`` receives the standardized 1D NumPy unicode array and returns one
list of tokens per string. ``ragged=True`` and ``sparse=True`` raise ``NotImplementedError``:
kerasish has no ragged or sparse tensors.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np
import torch

from kerasish import backend
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.layers import text_ops
from kerasish.layers.base import Layer
from kerasish.layers.index_lookup import OUTPUT_MODES, is_batch_iterable, listify, validate_choice
from kerasish.layers.string_lookup import StringLookup, as_strings

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")

# Tokenized text: a unicode array (no split) or one list of tokens per string (split; a single
# list for a scalar string).
Tokens = Union[np.ndarray, list]


class TextVectorization(Layer):
    """Strings in, int64 token indices (or float32 multi-hot/count/TF-IDF vectors) out."""

    _casts_direct_inputs = False

    def __init__(
        self,
        max_tokens: Optional[int] = None,
        standardize: Any = "lower_and_strip_punctuation",
        split: Any = "whitespace",
        ngrams: Union[None, int, tuple] = None,
        output_mode: str = "int",
        output_sequence_length: Optional[int] = None,
        pad_to_max_tokens: bool = False,
        vocabulary: Any = None,
        idf_weights: Any = None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        name: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        if sparse:
            raise NotImplementedError("TextVectorization(sparse=True): kerasish has no sparse tensors.")
        if ragged:
            raise NotImplementedError("TextVectorization(ragged=True): kerasish has no ragged tensors.")
        caller = "TextVectorization"
        validate_choice(standardize, _STANDARDIZE, caller, "standardize", True, True)
        validate_choice(split, _SPLIT, caller, "split", True, True)
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        validate_choice(output_mode, OUTPUT_MODES, caller, "output_mode")
        if not (
            ngrams is None
            or isinstance(ngrams, int)
            or isinstance(ngrams, tuple)
            and all(isinstance(item, int) for item in ngrams)
        ):
            raise ValueError(
                f"`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams={ngrams}"
            )
        if output_mode == "int" and not (
            output_sequence_length is None or isinstance(output_sequence_length, int)
        ):
            raise ValueError(
                "`output_sequence_length` must be either None or an integer when `output_mode` "
                f"is 'int'. Received: output_sequence_length={output_sequence_length}"
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                "`output_sequence_length` must not be set if `output_mode` is not 'int'. "
                f"Received output_sequence_length={output_sequence_length}."
            )
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self.autocast = False
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = ragged
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._has_input_vocabulary = has_input_vocabulary
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            sparse=sparse,
            has_input_vocabulary=has_input_vocabulary,
            encoding=encoding,
            vocabulary_size=vocabulary_size,
        )
        self.built = True

    # ------------------------------------------------------- vocabulary API

    def adapt(self, data: Any, batch_size: Optional[int] = None, steps: Optional[int] = None) -> None:
        """Learn the vocabulary from strings (an array or list: one document per string) or
        an iterable of batches (``steps`` limits the batches read). ``batch_size`` is accepted
        and unused, as in Keras 3."""
        self.reset_state()
        if is_batch_iterable(data):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch)
        else:
            strings = as_strings(data, self._encoding, self._owner)
            if strings.ndim == 1:
                strings = strings[:, None]
            self.update_state(strings)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        tokens = self._preprocess(data)
        if isinstance(tokens, list):
            if self._has_input_vocabulary:
                self._lookup_layer._refuse_adapt()
            self._lookup_layer._count(tokens)
        else:
            self._lookup_layer.update_state(tokens)

    def finalize_state(self) -> None:
        self._lookup_layer.finalize_state()

    def reset_state(self) -> None:
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # ----------------------------------------------------------------- call

    @property
    def _owner(self) -> str:
        return f"Layer '{self.name}' (TextVectorization)"

    def _to_tensor(self, value: Any) -> Any:
        return value  # strings stay NumPy

    def _standardized(self, strings: np.ndarray) -> np.ndarray:
        if callable(self._standardize):
            return as_strings(self._standardize(strings), self._encoding, self._owner)
        steps = []
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            steps.append(text_ops.lower)
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            steps.append(text_ops.strip_punctuation)
        if not steps or strings.size == 0:
            return strings
        flat = strings.ravel().tolist()
        for step in steps:
            flat = [step(text) for text in flat]
        return np.array(flat, dtype=str).reshape(strings.shape)

    def _preprocess(self, inputs: Any) -> Tokens:
        """Standardized tokens: a unicode array without ``split``, else one token list per
        string (a single list for a scalar string)."""
        strings = self._standardized(as_strings(inputs, self._encoding, self._owner))
        if self._split is None:
            if self._ngrams is not None:  # n-grams along the last axis
                rows = strings.reshape(-1, strings.shape[-1] if strings.ndim else 1).tolist()
                grams = [text_ops.ngrams(row, self._ngrams) for row in rows]
                return np.array(grams, dtype=str).reshape(strings.shape[:-1] + (-1,))
            return strings
        if strings.ndim > 1:
            if strings.shape[-1] != 1:
                raise ValueError(
                    "When using `TextVectorization` to tokenize strings, the input rank must be "
                    f"1 or the last shape dimension must be 1. Received: inputs.shape="
                    f"{strings.shape} with rank={strings.ndim}"
                )
            strings = strings[..., 0]
        if strings.ndim > 1:
            raise NotImplementedError(
                "TextVectorization on inputs of rank > 2: nested ragged token lists are not "
                f"supported by kerasish. Received: inputs.shape={strings.shape + (1,)}"
            )
        rows = self._split_rows(strings.reshape(-1))
        if self._ngrams is not None:
            rows = [text_ops.ngrams(row, self._ngrams) for row in rows]
        return rows[0] if strings.ndim == 0 else rows

    def _split_rows(self, strings: np.ndarray) -> list:
        if callable(self._split):
            pieces = self._split(strings)
            return [as_strings(row, self._encoding, self._owner).tolist() for row in pieces]
        split = text_ops.split_whitespace if self._split == "whitespace" else text_ops.split_characters
        return [split(text) for text in strings.tolist()]

    def call(self, inputs: Any) -> torch.Tensor:
        lookup = self._lookup_layer
        lookup._ensure_known_vocab_size()
        tokens = self._preprocess(inputs)
        is_int = self._output_mode == "int"
        if isinstance(tokens, list):
            single = not tokens or not isinstance(tokens[0], list)
            if self._output_mode == "one_hot" and not single:
                raise NotImplementedError(
                    "TextVectorization(output_mode='one_hot') with a `split`: Keras returns a "
                    "ragged tensor (one one-hot row per token of each string), and kerasish has "
                    "no ragged tensors. Use split=None on (batch, 1) tokens, or 'multi_hot'."
                )
            rows = [tokens] if single else tokens
            indices = self._padded(rows, pad=0 if is_int else -1)
            if single:
                indices = indices[0]
        else:
            indices = lookup.indices_of(tokens)
            if is_int and self._output_sequence_length is not None:
                indices = _fit_last_axis(indices, self._output_sequence_length)
        indices = torch.from_numpy(indices).to(lookup._anchor.device)
        return indices if is_int else lookup.encode(indices)

    def _padded(self, rows: list, pad: int) -> np.ndarray:
        """Looked-up token rows as one ``(rows, width)`` array, padded with ``pad``."""
        lengths = np.array([len(row) for row in rows], dtype=np.int64)
        flat = np.array([token for row in rows for token in row], dtype=str)
        found = self._lookup_layer.indices_of(flat)
        width = self._output_sequence_length
        if width is None:
            width = int(lengths.max(initial=0))
        out = np.full((len(rows), width), pad, dtype=np.int64)
        row_ids = np.repeat(np.arange(len(rows)), lengths)
        starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        columns = np.arange(flat.size) - starts
        keep = columns < width
        out[row_ids[keep], columns[keep]] = found[keep]
        return out

    # --------------------------------------------------------------- shapes

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = input_shape + (1,)
        else:
            input_shape = input_shape + (None,)
        return self._lookup_layer.compute_output_shape(input_shape)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> KerasTensor:
        inputs = args[0] if args else kwargs["inputs"]
        dtype = "int64" if self._output_mode == "int" else backend.floatx()
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype)

    # ------------------------------------------------------------------ saving

    def get_config(self) -> dict:
        from kerasish.saving.serialization import serialize_keras_object

        lookup = self._lookup_layer
        return {
            **super().get_config(),
            "max_tokens": lookup.max_tokens,
            "standardize": _maybe_serialized(self._standardize, serialize_keras_object),
            "split": _maybe_serialized(self._split, serialize_keras_object),
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": lookup.pad_to_max_tokens,
            "sparse": lookup.sparse,
            "ragged": self._ragged,
            "vocabulary": listify(lookup.input_vocabulary),
            "idf_weights": listify(lookup.input_idf_weights),
            "encoding": self._encoding,
            "vocabulary_size": self.vocabulary_size(),
        }

    @classmethod
    def from_config(cls, config: dict) -> TextVectorization:
        from kerasish.saving.serialization import deserialize_keras_object

        config = dict(config)
        for key in ("standardize", "split"):
            if config.get(key) is not None and not isinstance(config[key], str):
                config[key] = deserialize_keras_object(config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

    def save_own_variables(self, store: dict) -> None:
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store: dict) -> None:
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path: str) -> None:
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path: str) -> None:
        self._lookup_layer.load_assets(dir_path)


def _maybe_serialized(value: Any, serialize: Any) -> Any:
    return serialize(value) if callable(value) else value


def _fit_last_axis(indices: np.ndarray, length: int) -> np.ndarray:
    """Cut or zero-pad the last axis to ``length`` (Keras' ``output_sequence_length``)."""
    if indices.ndim == 0:
        indices = indices[None]
    indices = indices[..., :length]
    missing = length - indices.shape[-1]
    if missing > 0:
        pad = [(0, 0)] * (indices.ndim - 1) + [(0, missing)]
        indices = np.pad(indices, pad)
    return indices
