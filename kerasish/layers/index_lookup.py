"""IndexLookup: the vocabulary machinery shared by StringLookup, IntegerLookup and
TextVectorization (Keras 3's ``keras.src.layers.preprocessing.index_lookup``, not exported).

Index layout, as Keras: ``[mask]`` (only in ``"int"`` mode, when ``mask_token`` is set), then
``num_oov_indices`` OOV slots, then the tokens. A mask token maps to 0 in ``"int"`` mode and is
dropped by the other modes; an unknown token maps to the single OOV slot, or with several slots
to ``token % num_oov_indices`` (integers, Keras' ``"floormod"``) or to its FarmHash64/SipHash
bucket (strings, and integers' decimal strings with ``oov_method="farmhash"``), bit for bit as
TensorFlow hashes (``utils.fingerprint``).

The vocabulary is plain Python state (a list of tokens and a dict) rather than variables, as in
Keras, where it lives in a TensorFlow hash table outside the layer's weights: ``layer.weights``
is empty, the ``tf_idf`` weights travel in ``.keras`` files under the key ``idf_weights``
(``save_own_variables``), and an adapted vocabulary travels as the asset
``vocabulary.txt`` (``save_assets``; a vocabulary given to the constructor stays in the config).

``adapt`` orders tokens by count, most frequent first, and breaks ties by the tokens themselves
in *descending* order (Keras' ``np.lexsort(...)[::-1]``); strings compare by code point, which is
TensorFlow's UTF-8 byte order. Subclasses say how raw inputs become tokens (``_tokens_of``) and
how token indices are looked up (``_lookup``).
"""

from __future__ import annotations

import collections
import os
from typing import Any, Iterable, Optional, Sequence

import numpy as np
import torch

from kerasish import backend, devices
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.layers.base import Layer
from kerasish.layers.categorical import encode_categorical
from kerasish.utils import fingerprint

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def listify(value: Any) -> Any:
    """Arrays and tensors as plain lists, for configs."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def validate_choice(
    value: Any,
    allowed: Sequence[str],
    caller: str,
    arg: str,
    allow_none: bool = False,
    allow_callables: bool = False,
) -> None:
    """Keras' ``argument_validation.validate_string_arg``, message included."""
    if (allow_none and value is None) or (allow_callables and callable(value)):
        return
    if isinstance(value, str) and value in allowed:
        return
    raise ValueError(
        f"Unknown value for `{arg}` argument of {caller}. Allowed values are: "
        f"{tuple(allowed)}. Received: {arg}={value}"
    )


class IndexLookup(Layer):
    """Maps tokens to integer indices (or back, with ``invert=True``) through a vocabulary."""

    # Tokens are not floats: nothing is cast on the way in.
    _casts_direct_inputs = False
    _vocabulary_dtype = "string"

    def __init__(
        self,
        max_tokens: Optional[int],
        num_oov_indices: int,
        mask_token: Any,
        oov_token: Any,
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        name: Optional[str] = None,
        salt: Any = None,
        **kwargs: Any,
    ) -> None:
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                "If pad_to_max_tokens is True, must set `max_tokens`. "
                f"Received: max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                "`num_oov_indices` must be greater than or equal to 0. "
                f"Received: num_oov_indices={num_oov_indices}"
            )
        validate_choice(oov_method, ("floormod", "farmhash"), type(self).__name__, "oov_method")
        if salt is not None:
            if self._vocabulary_dtype != "string" and oov_method != "farmhash":
                raise ValueError(
                    "`salt` can only be used when `oov_method='farmhash'`. "
                    f"Received: oov_method={oov_method}"
                )
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = list(salt)
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `IndexLookup` can only be a tuple of 2 integers, "
                    f"or a single integer. Received: salt={salt}."
                )
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        validate_choice(output_mode, OUTPUT_MODES, type(self).__name__, "output_mode")
        if invert and output_mode != "int":
            raise ValueError(
                "`output_mode` must be `'int'` when `invert` is true. "
                f"Received: output_mode={output_mode}"
            )
        if sparse and output_mode == "int":
            raise ValueError(
                "`sparse` may only be true if `output_mode` is `'one_hot'`, `'multi_hot'`, "
                f"`'count'` or `'tf_idf'`. Received: sparse={sparse} and "
                f"output_mode={output_mode}"
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                "`idf_weights` should only be set if `output_mode` is `'tf_idf'`. Received: "
                f"idf_weights={idf_weights} and output_mode={output_mode}"
            )
        if sparse:
            raise NotImplementedError(
                f"{type(self).__name__}(sparse=True): kerasish has no sparse tensors."
            )
        frozen_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword argument(s): {kwargs}")
        super().__init__(name=name)
        self.autocast = False
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = frozen_size
        # The constructor's vocabulary goes back into the config; a file path does not (the
        # vocabulary then travels as an asset).
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._tokens: list = []
        self._index: dict = {}
        self.register_buffer("_idf_weights", None, persistent=False)
        # Where outputs go (``.to()`` moves it): lookups themselves run where the tokens are.
        self.register_buffer("_anchor", torch.empty(0, device=devices.current()), persistent=False)
        self._on_vocabulary_change()
        if output_mode == "tf_idf":
            if has_input_vocabulary and idf_weights is None:
                raise ValueError(
                    "When specifying the `vocabulary` argument, in TF-IDF output mode, the "
                    "`idf_weights` argument must also be provided."
                )
            if idf_weights is not None:
                self._set_idf_weights(np.asarray(listify(idf_weights), dtype="float32"))
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.reset_state()

    # ----------------------------------------------------------- index layout

    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The size of the vocabulary, mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary; with ``include_special_tokens`` a term's position is its index."""
        vocab = [self.oov_token] * self._token_start_index() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        if not include_special_tokens:
            vocab = vocab[self._token_start_index():]
        return vocab

    @property
    def idf_weights(self) -> Optional[torch.Tensor]:
        """The ``tf_idf`` weights, one per index (OOV slots included)."""
        return self._idf_weights

    def _set_idf_weights(self, weights: np.ndarray) -> None:
        # A buffer (moves with ``.to()``) outside the state dict, as Keras keeps it outside
        # ``layer.weights``.
        tensor = torch.as_tensor(np.asarray(weights, dtype="float32"), device=self._anchor.device)
        self.register_buffer("_idf_weights", tensor, persistent=False)

    # ------------------------------------------------------- set_vocabulary

    def _token_list(self, values: Iterable) -> list:
        """Vocabulary entries as this layer's tokens (``str`` or ``int``)."""
        raise NotImplementedError

    def _read_vocabulary_file(self, path: str) -> list:
        from kerasish.saving.serialization import in_safe_mode

        if in_safe_mode():
            raise ValueError(
                "Requested the loading of a vocabulary file outside of the model archive. This "
                "carries a potential risk of loading arbitrary and sensitive files and thus it "
                "is disallowed by default. If you trust the source of the artifact, you can "
                "override this error by passing `safe_mode=False` to the loading function, or "
                "calling `keras.config.enable_unsafe_deserialization(). Vocabulary file: "
                f"'{path}'"
            )
        if not os.path.exists(path):
            raise ValueError(f"Vocabulary file {path} does not exist.")
        if self.output_mode == "tf_idf":
            raise ValueError(
                "output_mode `'tf_idf'` does not support loading a vocabulary from file."
            )
        with open(path, encoding=getattr(self, "encoding", "utf-8")) as f:
            return _file_lines(f.read())

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Replace the vocabulary (and ``tf_idf`` weights) with given ones.

        ``vocabulary`` is a list, tuple, 1D array or tensor, or the path of a text file with one
        term per line (a file's lines are all tokens: no special tokens are looked for).
        """
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(
                "`idf_weights` should only be set if output_mode is `'tf_idf'`. Received: "
                f"output_mode={self.output_mode} and idf_weights={idf_weights}"
            )
        if isinstance(vocabulary, str):
            tokens = self._token_list(self._read_vocabulary_file(vocabulary))
            self._install(tokens)
            return
        vocabulary = self._token_list(listify(vocabulary))
        if isinstance(idf_weights, (list, tuple, torch.Tensor)):
            idf_weights = np.asarray(listify(idf_weights))
        if len(vocabulary) == 0:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        token_start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [
            self.oov_token
        ] * self.num_oov_indices
        found_special = vocabulary[:token_start] == special
        tokens = vocabulary[token_start:] if found_special else vocabulary
        repeated = [t for t, count in collections.Counter(tokens).items() if count > 1]
        if repeated:
            raise ValueError(
                "The passed vocabulary has at least one repeated term. Please uniquify your "
                f"dataset. The repeated terms are: {repeated}"
            )
        if self.mask_token is not None and self.mask_token in tokens:
            index = [i for i, t in enumerate(vocabulary) if t == self.mask_token][-1]
            raise ValueError(
                "Found reserved mask token at unexpected location in `vocabulary`. Note that "
                "passed `vocabulary` does not need to include the OOV and mask tokens. Either "
                "remove all mask and OOV tokens, or include them only at the start of the "
                f"vocabulary in precisely this order: {special}. Received: "
                f"mask_token={self.mask_token} at vocabulary index [{index}]"
            )
        if self.oov_token is not None and self.invert and self.oov_token in tokens:
            index = [i for i, t in enumerate(vocabulary) if t == self.oov_token][-1]
            raise ValueError(
                "Found reserved OOV token at unexpected location in `vocabulary`. Note that "
                "passed `vocabulary` does not need to include the OOV and mask tokens. Either "
                "remove all mask and OOV tokens, or include them only at the start of the "
                f"vocabulary in precisely this order: {special}. Received: "
                f"oov_token={self.oov_token} at vocabulary index [{index}]"
            )
        new_size = token_start + len(tokens)
        if self.max_tokens is not None and new_size > self.max_tokens:
            raise ValueError(
                "Attempted to set a vocabulary larger than the maximum vocab size. Received "
                f"vocabulary size is {new_size}; `max_tokens` is {self.max_tokens}."
            )
        self._install(tokens)
        if self.output_mode == "tf_idf" and idf_weights is not None:
            if len(vocabulary) != len(idf_weights):
                raise ValueError(
                    "`idf_weights` must be the same length as vocabulary. len(idf_weights) is "
                    f"{len(idf_weights)}; len(vocabulary) is {len(vocabulary)}"
                )
            idf_weights = np.asarray(idf_weights)
            if idf_weights.ndim != 1:
                raise ValueError(
                    f"TF-IDF data must be a 1-index array. Received: type(idf_weights)="
                    f"{type(idf_weights)}"
                )
            # Without special tokens in the vocabulary, their weight is the average one.
            front, front_value = (0, 0) if found_special else (token_start, np.average(idf_weights))
            back = 0
            if self.pad_to_max_tokens and self.max_tokens is not None:
                back = self.max_tokens - front - len(idf_weights)
            self._set_idf_weights(
                np.pad(idf_weights, (front, back), "constant", constant_values=(front_value, 0))
            )

    def _install(self, tokens: list) -> None:
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._index = {token: start + i for i, token in enumerate(self._tokens)}
        self._on_vocabulary_change()
        self._record_vocabulary_size()

    def _on_vocabulary_change(self) -> None:
        """Subclasses rebuild their device tables here."""

    def _record_vocabulary_size(self) -> None:
        new_size = self.vocabulary_size()
        if (
            self.output_mode != "int"
            and not self.pad_to_max_tokens
            and self._frozen_vocab_size is not None
            and new_size != self._frozen_vocab_size
        ):
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                "the vocabulary size cannot be changed after the layer is called. Old vocab "
                f"size is {self._frozen_vocab_size}, new vocab size is {new_size}"
            )
        self._frozen_vocab_size = new_size

    # ----------------------------------------------------------------- adapt

    def adapt(self, data: Any, batch_size: Optional[int] = None, steps: Optional[int] = None) -> None:
        """Learn the vocabulary from an array/list (each row a document) or an iterable of
        batches (``steps`` limits the batches read). ``batch_size`` is tf.keras 2's argument,
        accepted for its code; it does not change the result."""
        self.reset_state()
        if is_batch_iterable(data):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch)
        else:
            documents = self._tokens_of(data)
            if documents.ndim == 1:
                documents = documents[:, None]
            self._count(documents)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        if self._has_input_vocabulary:
            self._refuse_adapt()
        documents = self._tokens_of(data)
        if documents.ndim < 2:
            documents = documents.reshape(1, -1)  # a 1D batch is one document
        self._count(documents)

    def _refuse_adapt(self) -> None:
        raise ValueError(
            f"Cannot adapt layer '{self.name}' after setting a static vocabulary via "
            "`vocabulary` argument or `set_vocabulary()` method."
        )

    def _count(self, documents: Any) -> None:
        """Count the tokens of ``documents`` (an array whose rows are documents, or a list of
        token lists)."""
        if self._has_input_vocabulary:
            self._refuse_adapt()
        rows = [np.ravel(row).tolist() for row in documents]
        for row in rows:
            self._token_counts.update(row)
        if self.output_mode == "tf_idf":
            for row in rows:
                self._document_counts.update(set(row))
            self._num_documents += len(rows)

    def finalize_state(self) -> None:
        if self._has_input_vocabulary or not self._token_counts:
            self._record_vocabulary_size()
            return
        counts = self._token_counts
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(special, None)
        ordered = sorted(counts, key=lambda token: (counts[token], token), reverse=True)
        if self.max_tokens:
            ordered = ordered[: self.max_tokens - self._token_start_index()]
        self._install(ordered)
        if self.output_mode == "tf_idf":
            frequencies = np.array([self._document_counts[t] for t in ordered], dtype="float64")
            idf = np.log(1 + self._num_documents / (1 + frequencies)).astype("float32")
            weights = np.pad(idf, (self._token_start_index(), 0), constant_values=np.mean(idf))
            if self.pad_to_max_tokens and self.max_tokens is not None:
                weights = np.pad(weights, (0, self.max_tokens - weights.size))
            self._set_idf_weights(weights)
        self.reset_state()

    def reset_state(self) -> None:
        if self._has_input_vocabulary:
            return
        self._token_counts: collections.Counter = collections.Counter()
        self._document_counts: collections.Counter = collections.Counter()
        self._num_documents = 0

    # ------------------------------------------------------------------ call

    def _tokens_of(self, data: Any) -> np.ndarray:
        """Raw input as an array of tokens (what ``adapt`` counts)."""
        raise NotImplementedError

    def _lookup(self, inputs: Any) -> torch.Tensor:
        """int64 indices of the input tokens: masks as 0 (``"int"``) or -1 (dropped by the
        encodings), unknown tokens in their OOV slot."""
        raise NotImplementedError

    def _invert(self, inputs: Any) -> Any:
        raise NotImplementedError

    def _ensure_known_vocab_size(self) -> None:
        if self.output_mode == "int" or self.pad_to_max_tokens:
            return
        if self._frozen_vocab_size is None:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                "you must set the layer's vocabulary before calling it. Either pass a "
                "`vocabulary` argument to the layer, or call `adapt` with some sample data."
            )

    def _to_tensor(self, value: Any) -> Any:
        return value  # tokens are converted by ``call``, strings included

    def call(self, inputs: Any) -> Any:
        self._ensure_known_vocab_size()
        if self.invert:
            return self._invert(inputs)
        return self.encode(self._lookup(inputs))

    def encode(self, indices: torch.Tensor) -> torch.Tensor:
        """Indices (masked entries -1) in this layer's ``output_mode``."""
        if self.output_mode == "int":
            return indices
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        dtype = backend.torch_dtype(backend.floatx())
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        encoded = encode_categorical(indices, mode, depth, dtype)
        if self.output_mode == "tf_idf":
            if self._idf_weights is None:
                raise ValueError("When `output_mode` is `'tf_idf'`, `idf_weights` must be provided.")
            weights = self._idf_weights
            if weights.device != encoded.device:
                weights = weights.to(encoded.device)
            encoded = encoded * weights
        return encoded

    def hashed_oov_indices(self, tokens: list[bytes]) -> np.ndarray:
        """OOV slots of unknown tokens with several OOV indices: TensorFlow's FarmHash64
        (``to_hash_bucket_fast``), or SipHash-2-4 keyed by ``salt`` (``to_hash_bucket_strong``),
        modulo ``num_oov_indices``."""
        if self.salt is not None:
            hashes = fingerprint.siphash(tokens, self.salt)
        else:
            hashes = fingerprint.fingerprint64(tokens)
        buckets = hashes % np.uint64(self.num_oov_indices)
        return buckets.astype(np.int64) + self._oov_start_index()

    def _oov_error(self, values: Any) -> None:
        raise ValueError(
            "When `num_oov_indices=0` all inputs should be in vocabulary, found OOV values "
            f"{values}, consider setting `num_oov_indices=1`."
        )

    # --------------------------------------------------------------- shapes

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    def _output_dtype(self) -> str:
        if self.output_mode != "int":
            return backend.floatx()
        return self._vocabulary_dtype if self.invert else "int64"

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> KerasTensor:
        inputs = args[0] if args else kwargs["inputs"]
        return KerasTensor(self.compute_output_shape(inputs.shape), self._output_dtype())

    def keras3_build_config(self) -> dict:
        return {}  # Keras' IndexLookup.get_build_config

    # ------------------------------------------------------------ saving

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self._vocabulary_dtype,
            "idf_weights": listify(self.input_idf_weights),
            "vocabulary": listify(self.input_vocabulary),
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method,
            "salt": self.salt,
        }

    def save_own_variables(self, store: dict) -> None:
        """Keras 3's hook: what ``.keras`` files hold for this layer besides its weights."""
        if self.output_mode == "tf_idf" and self._idf_weights is not None:
            store["idf_weights"] = self._idf_weights.detach().cpu().numpy()

    def load_own_variables(self, store: dict) -> None:
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self._set_idf_weights(np.asarray(store["idf_weights"]))

    def save_assets(self, dir_path: str) -> None:
        """An adapted (or file) vocabulary as ``vocabulary.txt``, one token a line, special
        tokens included, no final newline (Keras 3's asset)."""
        if self.input_vocabulary is not None:
            return  # in the config
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(token) for token in self.get_vocabulary()))

    def load_assets(self, dir_path: str) -> None:
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values = [str(line) for line in lines] if self._vocabulary_dtype == "string" else [
            int(line) for line in lines
        ]
        if self.output_mode == "tf_idf":
            weights = None if self._idf_weights is None else self._idf_weights.cpu().numpy()
            self.set_vocabulary(values, idf_weights=weights)
        else:
            self.set_vocabulary(values)

    def extra_repr(self) -> str:
        return f"name={self.name!r}, output_mode={self.output_mode!r}, vocabulary_size={self.vocabulary_size()}"


def _file_lines(text: str) -> list:
    """A vocabulary file's terms, as TensorFlow's ``TextFileInitializer`` reads whole lines."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def is_batch_iterable(data: Any) -> bool:
    """Keras' test: an iterable of batches (generator, dataset), not one array or list."""
    return hasattr(data, "__iter__") and not isinstance(
        data, (list, tuple, np.ndarray, torch.Tensor, str, bytes)
    )
