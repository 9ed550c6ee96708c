"""Keras 3's ``STFTSpectrogram``: a short-time Fourier transform as a strided 1D convolution
with trainable kernels, so the transform can be fine-tuned.

The kernels are ``real_kernel``/``imag_kernel``, Keras-shaped ``(frame_length, 1, bins)`` in
files and in ``state_dict``, initialised as Keras' ``initializers.STFT`` does: window times a
cos/sin Fourier basis, computed in float32 in Keras' operation order, divided by the window's
``density``/``spectrum`` scale. Keras takes named windows from SciPy (``get_window``); kerasish
computes SciPy's parameterless windows itself (``_SCIPY_WINDOWS``), as float64 values rounded
to the weight dtype as SciPy's would be. Each channel of the input is transformed separately:
the channels move into the batch, one ``conv1d`` per kernel.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from kerasish import backend
from kerasish.layers import conv_utils
from kerasish.layers.base import Layer
from kerasish.layers.input_spec import InputSpec

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


def _cosine_sum(coefficients: Sequence[float]) -> Callable:
    def window(length: int) -> torch.Tensor:
        return torch.signal.windows.general_cosine(length, a=list(coefficients), sym=True, dtype=torch.float64)

    return window


def _triang(length: int) -> torch.Tensor:
    n = torch.arange(1, (length + 1) // 2 + 1, dtype=torch.float64)
    half = 2 * n / (length + 1) if length % 2 else (2 * n - 1) / length
    return torch.cat([half, half.flip(0)[length % 2:]])


def _bohman(length: int) -> torch.Tensor:
    fac = torch.linspace(-1, 1, length, dtype=torch.float64)[1:-1].abs()
    inner = (1 - fac) * torch.cos(math.pi * fac) + torch.sin(math.pi * fac) / math.pi
    return F.pad(inner, (1, 1))


def _barthann(length: int) -> torch.Tensor:
    fac = (torch.arange(length, dtype=torch.float64) / (length - 1) - 0.5).abs()
    return 0.62 - 0.48 * fac + 0.38 * torch.cos(2 * math.pi * fac)


def _torch_window(name: str) -> Callable:
    function = getattr(torch.signal.windows, name)
    return lambda length: function(length, sym=True, dtype=torch.float64)


# SciPy's parameterless windows (``scipy.signal.get_window`` names and aliases), symmetric.
_SCIPY_WINDOWS: dict = {}
for _names, _fn in [
    (("hann", "han"), _torch_window("hann")),
    (("hamming", "hamm", "ham"), _torch_window("hamming")),
    (("blackman", "black", "blk"), _torch_window("blackman")),
    (("bartlett", "bart", "brt"), _torch_window("bartlett")),
    (("cosine", "halfcosine"), _torch_window("cosine")),
    (("nuttall", "nutl", "nut"), _torch_window("nuttall")),
    (("boxcar", "box", "ones", "rect", "rectangular"), lambda length: torch.ones(length, dtype=torch.float64)),
    (("triang", "triangle", "tri"), _triang),
    (("blackmanharris", "blackharr", "bkh"), _cosine_sum((0.35875, 0.48829, 0.14128, 0.01168))),
    (("flattop", "flat", "flt"), _cosine_sum((0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368))),
    (("bohman", "bman", "bmn"), _bohman),
    (("barthann", "brthan", "bth"), _barthann),
]:
    _SCIPY_WINDOWS.update(dict.fromkeys(_names, _fn))
# SciPy windows kerasish does not compute (parameterless in SciPy too).
_OTHER_SCIPY_WINDOWS = ("parzen", "parz", "par", "lanczos", "sinc", "taylor", "taylorwin")
# SciPy windows that need parameters, which a string cannot carry.
_PARAMETRIC_WINDOWS = (
    "kaiser", "ksr", "kaiser_bessel_derived", "kbd", "gaussian", "gauss", "gss", "general_cosine",
    "general_gaussian", "general gaussian", "general_gauss", "general_gaus", "ggs", "general_hamming",
    "chebwin", "cheb", "dpss", "exponential", "poisson", "tukey", "tuk",
)


def check_window_name(window: Any) -> None:
    """SciPy's verdict on a window name, raised when the layer is made (as Keras does)."""
    if not isinstance(window, str):
        return
    if window in _PARAMETRIC_WINDOWS:
        raise ValueError(f"The '{window}' window needs one or more parameters -- pass a tuple.")
    if window in _OTHER_SCIPY_WINDOWS:
        raise NotImplementedError(
            f"STFTSpectrogram: the SciPy window {window!r} is not implemented in kerasish; pass "
            f"its values as an array, or use one of {sorted(_SCIPY_WINDOWS)}."
        )
    if window not in _SCIPY_WINDOWS:
        raise ValueError("Unknown window type.")


def scipy_window(name: str, length: int, periodic: bool) -> torch.Tensor:
    """``scipy.signal.get_window(name, length, fftbins=periodic)`` in float64."""
    check_window_name(name)
    if length == 1:
        return torch.ones(1, dtype=torch.float64)
    window = _SCIPY_WINDOWS[name](length + 1 if periodic else length)
    return window[:length] if periodic else window


def stft_kernel(side: str, window: Any, scaling: Optional[str], periodic: bool) -> Callable:
    """Keras' ``initializers.STFT(side, window, scaling, periodic)`` as an initializer."""

    def initializer(shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        dtype = backend.torch_dtype(dtype or backend.floatx())
        frame_length, _, bins = shape
        win, scale = None, 1.0
        if window is not None:
            if isinstance(window, str):
                win = scipy_window(window, frame_length, periodic).to(dtype)
            else:
                win = torch.as_tensor(np.asarray(window)).to(dtype)
            if win.ndim != 1 or win.shape[-1] != frame_length:
                raise ValueError(
                    "The shape of `window` must be equal to [frame_length]. "
                    f"Received: window shape={tuple(win.shape)}, frame_length={frame_length}"
                )
            win = win.reshape(frame_length, 1, 1)
            if scaling == "density":
                scale = torch.sqrt(torch.sum(win * win))
            elif scaling == "spectrum":
                scale = torch.sum(torch.abs(win))
        freq = torch.arange(bins, dtype=dtype).reshape(1, 1, bins) / ((bins - 1) * 2)
        time = torch.arange(frame_length, dtype=dtype).reshape(frame_length, 1, 1)
        angle = (-2 * time) * freq * torch.arccos(torch.tensor(-1.0, dtype=dtype))
        kernel = torch.cos(angle) if side == "real" else torch.sin(angle)
        return kernel if win is None else kernel * win / scale

    return initializer


class STFTSpectrogram(Layer):
    """Spectrograms of ``(batch, time, channels)`` signals (``(batch, channels, time)`` with
    ``channels_first``): ``mode`` picks log/linear magnitude, power density, the real or
    imaginary part, the phase, or real and imaginary stacked (``"stft"``)."""

    def __init__(
        self,
        mode: str = "log",
        frame_length: int = 256,
        frame_step: Optional[int] = None,
        fft_length: Optional[int] = None,
        window: Any = "hann",
        periodic: bool = False,
        scaling: Optional[str] = "density",
        padding: str = "valid",
        expand_dims: bool = False,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError(
                "`frame_step` should be a positive integer not greater than `frame_length`. "
                f"Received frame_step={frame_step}, frame_length={frame_length}"
            )
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                "`fft_length` should be not less than `frame_length`. "
                f"Received fft_length={fft_length}, frame_length={frame_length}"
            )
        if fft_length is not None and (fft_length & -fft_length) != fft_length:
            warnings.warn(f"`fft_length` is recommended to be a power of two. Received fft_length={fft_length}", stacklevel=2)
        if mode not in _MODES:
            raise ValueError(f"Output mode is invalid, it must be one of {', '.join(_MODES)}. Received: mode={mode}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received scaling={scaling}"
            )
        if padding not in ("valid", "same"):
            raise ValueError(f"Padding is invalid, it should be 'valid', 'same'. Received: padding={padding}")
        check_window_name(window)
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape: Any) -> None:
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        for side, skip in (("real", "imag"), ("imag", "real")):
            if self.mode != skip:
                initializer = stft_kernel(side, self.window, self.scaling, self.periodic)
                setattr(self, f"{side}_kernel", self.add_weight(name=f"{side}_kernel", shape=shape, initializer=initializer))
        self.built = True

    def _transform(self, signals: torch.Tensor, kernel: torch.Tensor, channels: int) -> torch.Tensor:
        """``(batch * channels, 1, time)`` -> ``(batch, channels, bins, frames)``."""
        weight = kernel.to(signals.dtype).permute(2, 1, 0)
        if self.padding == "same":
            left, right = conv_utils.same_padding(signals.shape[-1], self.frame_length, self._frame_step)
            signals = F.pad(signals, (left, right))
        out = F.conv1d(signals, weight, stride=self._frame_step)
        return out.reshape(-1, channels, *out.shape[1:])

    def _arrange(self, x: torch.Tensor) -> torch.Tensor:
        batch, channels, bins, frames = x.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return x.permute(0, 3, 2, 1)
            return x.reshape(batch, channels * bins, frames).transpose(1, 2)
        if self.expand_dims:
            return x.transpose(2, 3)
        return x.reshape(batch, channels * bins, frames)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.dtype not in (torch.float16, torch.float32, torch.float64):
            raise TypeError(
                f"{self.name}: invalid input type. Expected `float16`, `float32` or `float64`. "
                f"Received: input type={backend.standardize_dtype(inputs.dtype)}"
            )
        signals = inputs.transpose(1, 2) if self.data_format == "channels_last" else inputs
        channels = signals.shape[1]
        signals = signals.reshape(-1, 1, signals.shape[-1])
        real = self._transform(signals, self.real_kernel, channels) if self.mode != "imag" else None
        imag = self._transform(signals, self.imag_kernel, channels) if self.mode != "real" else None
        if self.mode == "real":
            return self._arrange(real)
        if self.mode == "imag":
            return self._arrange(imag)
        if self.mode == "angle":
            return self._arrange(torch.arctan2(imag, real))
        if self.mode == "stft":
            return self._arrange(torch.cat([real, imag], dim=2))
        power = real * real + imag * imag
        if self.mode == "psd":
            # One-sided density: every bin but DC and Nyquist counts twice.
            return self._arrange(power + F.pad(power[:, :, 1:-1, :], (0, 0, 1, 1)))
        eps = backend.epsilon()
        magnitude = self._arrange(torch.sqrt(torch.clamp(power, min=eps)))
        if self.mode == "magnitude":
            return magnitude
        return torch.log(torch.clamp(magnitude, min=eps))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if self.data_format == "channels_last":
            batch, steps, channels = input_shape
        else:
            batch, channels, steps = input_shape
        bins = self._fft_length // 2 + 1
        if self.mode == "stft":
            bins *= 2
        frames = conv_utils.output_length(steps, self.frame_length, self._frame_step, self.padding)
        if self.expand_dims:
            if self.data_format == "channels_last":
                return (batch, frames, bins, channels)
            return (batch, channels, frames, bins)
        features = None if channels is None else bins * channels
        if self.data_format == "channels_last":
            return (batch, frames, features)
        return (batch, features, frames)

    def get_config(self) -> dict:
        window = self.window.tolist() if isinstance(self.window, (np.ndarray, torch.Tensor)) else self.window
        return {
            **super().get_config(),
            "mode": self.mode,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "window": window,
            "periodic": self.periodic,
            "scaling": self.scaling,
            "padding": self.padding,
            "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        }
