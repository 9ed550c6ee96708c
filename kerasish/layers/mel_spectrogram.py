"""Keras 3's ``MelSpectrogram``: ``keras.ops.stft`` magnitudes raised to ``mag_exp``, projected
on HTK mel filters, optionally in decibels. It has no weights.

The filter matrix depends only on the layer's arguments, so it is computed once (float32, in
Keras' formula order) and kept as a non-persistent buffer that follows the layer's device. As
in Keras, ``top_db`` clips against the largest value of the whole batch, so one loud example
moves the floor of the others.
"""

from __future__ import annotations

from typing import Any, Optional

import torch
import torch.nn.functional as F

from kerasish import backend
from kerasish.layers.base import Layer
from kerasish.ops.signal import stft

_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(frequencies: torch.Tensor) -> torch.Tensor:
    return _MEL_HIGH_FREQUENCY_Q * torch.log(1.0 + frequencies / _MEL_BREAK_FREQUENCY_HERTZ)


def _linspace(start: torch.Tensor, stop: torch.Tensor, num: int) -> torch.Tensor:
    """Keras' torch ``linspace`` for tensor endpoints: ``start + arange(num) / (num - 1) *
    (stop - start)`` (its float32 roundings differ from ``torch.linspace``'s)."""
    return start + torch.arange(num, dtype=start.dtype) / (num - 1) * (stop - start)


def linear_to_mel_weight_matrix(
    num_mel_bins: int, num_spectrogram_bins: int, sampling_rate: float, lower_edge_hertz: float,
    upper_edge_hertz: float,
) -> torch.Tensor:
    """``(num_spectrogram_bins, num_mel_bins)`` triangular filters, linear in mel, the DC bin
    left out (HTK); TensorFlow's ``linear_to_mel_weight_matrix`` as Keras writes it."""
    f32 = torch.float32
    nyquist = torch.tensor(sampling_rate, dtype=f32) / 2.0
    linear = _linspace(torch.tensor(0.0, dtype=f32), nyquist, num_spectrogram_bins)[1:]
    bins_mel = _hertz_to_mel(linear).unsqueeze(1)
    edges = _linspace(
        _hertz_to_mel(torch.tensor(lower_edge_hertz, dtype=f32)),
        _hertz_to_mel(torch.tensor(upper_edge_hertz, dtype=f32)),
        num_mel_bins + 2,
    )
    lower, center, upper = (edges[i : i + num_mel_bins].reshape(1, num_mel_bins) for i in range(3))
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = torch.clamp(torch.minimum(lower_slopes, upper_slopes), min=0.0)
    return F.pad(weights, (0, 0, 1, 0))


class MelSpectrogram(Layer):
    """``(samples,)`` or ``(batch, samples)`` audio -> ``(..., num_mel_bins, frames)``."""

    def __init__(
        self,
        fft_length: int = 2048,
        sequence_stride: int = 512,
        sequence_length: Optional[int] = None,
        window: Any = "hann",
        sampling_rate: int = 16000,
        num_mel_bins: int = 128,
        min_freq: float = 20.0,
        max_freq: Optional[float] = None,
        power_to_db: bool = True,
        top_db: float = 80.0,
        mag_exp: float = 2.0,
        min_power: float = 1e-10,
        ref_power: float = 1.0,
        **kwargs: Any,
    ) -> None:
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(
                "`fft_length` must be greater than or equal to `sequence_length`. Received: "
                f"`sequence_length`={self.sequence_length}, `fft_length`={self.fft_length}."
            )
        super().__init__(**kwargs)
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        matrix = linear_to_mel_weight_matrix(
            num_mel_bins, fft_length // 2 + 1, sampling_rate, min_freq, self.max_freq
        )
        self.register_buffer("mel_weights", matrix, persistent=False)
        # Keras' float32 ``10 * log10(max(|ref_power|, min_power))``, a Python float once.
        reference = torch.tensor(max(abs(float(ref_power)), min_power), dtype=torch.float32)
        self._reference_db = float(10.0 * torch.log10(reference))
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        compute = backend.torch_dtype(self.compute_dtype)
        dtype = compute if compute in (torch.float32, torch.float64) else torch.float32
        real, imag = stft(
            inputs.to(dtype), self.sequence_length, self.sequence_stride, self.fft_length,
            window=self.window, center=True,
        )
        spectrum = torch.pow(torch.sqrt(real * real + imag * imag), self.mag_exp)
        mel = torch.tensordot(spectrum, self.mel_weights.to(dtype), dims=1)
        if self.power_to_db:
            mel = self._decibels(mel)
        return mel.transpose(-1, -2).to(compute)

    def _decibels(self, power: torch.Tensor) -> torch.Tensor:
        db = 10.0 * torch.log10(torch.clamp(power, min=self.min_power)) - self._reference_db
        return torch.maximum(db, torch.max(db) - self.top_db)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        """Frames of a centred STFT: ``1 + samples // sequence_stride``. (Keras 3.15 states
        ``(samples + sequence_stride + 1) // sequence_stride``, one more frame than it
        computes when ``samples + 1`` is a multiple of the stride.)"""
        *batch, samples = input_shape
        frames = None if samples is None else 1 + samples // self.sequence_stride
        return (*batch, self.num_mel_bins, frames)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        }

