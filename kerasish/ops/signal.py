"""Short-time Fourier transforms: ``keras.ops.stft`` and ``keras.ops.istft``.

Both follow Keras 3's torch backend: ``torch.stft`` with a periodic Hann or Hamming window
(or the given one) and reflect-padded centring, results as ``(real, imag)`` pairs with frames
on the second-to-last axis. ``istft`` uses ``torch.istft`` where torch's rules are Keras'
(frame and FFT lengths equal, centred, windowed); otherwise it inverts frame by frame, divides
by the summed squared window, and overlap-adds with one ``F.fold`` (col2im) call.
"""

from __future__ import annotations

import math
from typing import Any, Optional

import torch
import torch.nn.functional as F

from kerasish import backend
from kerasish.ops.core import to_tensor
from kerasish.ops.dispatch import keras_op
from kerasish.ops.math import _complex

_WINDOWS = {"hann": torch.hann_window, "hamming": torch.hamming_window}


def _window(window: Any, length: int, dtype: torch.dtype, device: torch.device) -> Optional[torch.Tensor]:
    if window is None:
        return None
    if isinstance(window, str):
        return _WINDOWS[window](length, periodic=True, dtype=dtype, device=device)
    win = to_tensor(window, dtype=dtype, device=device)
    if win.ndim != 1 or win.shape[-1] != length:
        raise ValueError(
            "The shape of `window` must be equal to [sequence_length]. "
            f"Received: window shape={tuple(win.shape)}, sequence_length={length}"
        )
    return win


def _check_window_name(window: Any) -> None:
    if isinstance(window, str) and window not in _WINDOWS:
        raise ValueError(
            'If a string is passed to `window`, it must be one of `"hann"`, `"hamming"`. '
            f"Received: window={window}"
        )


@keras_op
def stft(
    x: Any,
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    window: Any = "hann",
    center: bool = True,
) -> tuple:
    """``(real, imag)``, each ``(..., frames, fft_length // 2 + 1)``; float32/float64 only."""
    x = to_tensor(x)
    if x.dtype not in (torch.float32, torch.float64):
        raise TypeError(
            "stft: invalid input type. Expected `float32` or `float64`. "
            f"Received: input type={backend.standardize_dtype(x.dtype)}"
        )
    if fft_length < sequence_length:
        raise ValueError(
            "`fft_length` must equal or larger than `sequence_length`. Received: "
            f"sequence_length={sequence_length}, fft_length={fft_length}"
        )
    _check_window_name(window)
    win = _window(window, sequence_length, x.dtype, x.device)
    if win is None:
        win = torch.ones(sequence_length, dtype=x.dtype, device=x.device)
    *batch, samples = x.shape
    frames = torch.stft(
        x.reshape(-1, samples) if len(batch) > 1 else x,
        n_fft=fft_length,
        hop_length=sequence_stride,
        win_length=sequence_length,
        window=win,
        center=center,
        return_complex=True,
    )
    frames = frames.reshape(*batch, *frames.shape[-2:]).transpose(-2, -1)
    return frames.real, frames.imag


def _overlap_add(frames: torch.Tensor, stride: int) -> torch.Tensor:
    """Sum frames ``(..., n, length)`` placed ``stride`` apart: ``(..., (n - 1) * stride + length)``."""
    *batch, count, length = frames.shape
    if stride > length:
        raise ValueError(
            "`sequence_stride` must equal or less than x.shape[-1]. "
            f"Received: sequence_stride={stride}, x.shape[-1]={length}"
        )
    if stride < length / count:
        raise ValueError(
            "`sequence_stride` must equal or greater than x.shape[-1] / x.shape[-2]. "
            f"Received: sequence_stride={stride}, x.shape[-1]={length}, x.shape[-2]={count}"
        )
    total = stride * (count - 1) + length
    columns = frames.reshape(-1, count, length).transpose(1, 2)
    summed = F.fold(columns, output_size=(1, total), kernel_size=(1, length), stride=(1, stride))
    return summed.reshape(*batch, total)


@keras_op
def istft(
    x: Any,
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    length: Optional[int] = None,
    window: Any = "hann",
    center: bool = True,
) -> torch.Tensor:
    """The signal whose ``stft`` is ``x = (real, imag)``; ``length`` trims or pads its end."""
    spectrum = _complex(x, "istft")
    if spectrum.ndim < 2:
        raise ValueError(f"istft: input should have rank >= 2. Received: input.shape = {tuple(spectrum.shape)}")
    _check_window_name(window)
    dtype = spectrum.real.dtype
    win = _window(window, sequence_length, dtype, spectrum.device)
    if sequence_length == fft_length and center is True and win is not None:
        *batch, count, bins = spectrum.shape
        signal = torch.istft(
            spectrum.reshape(-1, count, bins).transpose(-2, -1),
            n_fft=fft_length,
            hop_length=sequence_stride,
            win_length=sequence_length,
            window=win,
            center=True,
            length=length,
            return_complex=False,
        )
        return signal.reshape(*batch, signal.shape[-1])
    frames = torch.fft.irfft(spectrum, n=fft_length, dim=-1, norm="backward")
    full_length = fft_length + sequence_stride * (frames.shape[-2] - 1)
    if win is not None:
        left = (fft_length - sequence_length) // 2
        win = F.pad(win, (left, fft_length - sequence_length - left))
        # Each output sample is divided by the sum of the squared windows covering it.
        overlaps = math.ceil(fft_length / sequence_stride)
        squares = F.pad(win * win, (0, overlaps * sequence_stride - fft_length))
        coverage = squares.reshape(overlaps, sequence_stride).sum(0).repeat(overlaps)
        frames = frames * (win / coverage[:fft_length])
    signal = _overlap_add(frames, sequence_stride)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = -(fft_length // 2)
    else:
        end = full_length
    return signal[..., start:end]
