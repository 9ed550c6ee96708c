"""The window functions of ``scipy.signal.get_window`` that STFT kernels commonly use.

Keras' ``STFT`` initializer asks SciPy for its window, and Keras fails with an ImportError when
SciPy is absent. kerasish computes the common windows itself, with SciPy's own arithmetic
(``linspace(-pi, pi)`` cosine sums in float64, periodic windows as one point longer and
truncated), so they equal SciPy's values; any other window is taken from SciPy when it is
installed, with Keras' ImportError when it is not.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_COSINE_TERMS = {
    # SciPy's general_hamming(alpha): terms (alpha, 1 - alpha), 1 - 0.54 rounded as it rounds.
    "hann": (0.5, 1.0 - 0.5),
    "hamming": (0.54, 1.0 - 0.54),
    "blackman": (0.42, 0.50, 0.08),
}
_ALIASES = {
    "hann": "hann", "hanning": "hann", "han": "hann",
    "hamming": "hamming", "hamm": "hamming", "ham": "hamming",
    "blackman": "blackman", "black": "blackman", "blk": "blackman",
    "boxcar": "boxcar", "box": "boxcar", "ones": "boxcar", "rect": "boxcar",
    "rectangular": "boxcar",
    "bartlett": "bartlett", "bart": "bartlett", "brt": "bartlett",
}
SCIPY_IMPORT_ERROR = "This requires the scipy module. You can install it via `pip install scipy`"


def get_window(window: Any, length: int, periodic: bool = False) -> np.ndarray:
    """``scipy.signal.get_window(window, length, fftbins=periodic)`` as float64."""
    name = _ALIASES.get(window) if isinstance(window, str) else None
    if name is None:
        return _scipy_window(window, length, periodic)
    if length <= 1:
        return np.ones(max(length, 0))
    size = length + 1 if periodic else length
    values = _symmetric(name, size)
    return values[:-1] if periodic else values


def check_window(window: Any) -> None:
    """Raise as ``scipy.signal.get_window(window, 1)`` would for a window name it rejects."""
    if not (isinstance(window, str) and window in _ALIASES):
        _scipy_window(window, 1, False)


def _symmetric(name: str, size: int) -> np.ndarray:
    if name == "boxcar":
        return np.ones(size)
    if name == "bartlett":
        n = np.arange(0, size)
        return np.where(n <= (size - 1) / 2.0, 2.0 * n / (size - 1), 2.0 - 2.0 * n / (size - 1))
    angles = np.linspace(-np.pi, np.pi, size)
    values = np.zeros(size)
    for k, term in enumerate(_COSINE_TERMS[name]):
        values += term * np.cos(k * angles)
    return values


def _scipy_window(window: Any, length: int, periodic: bool) -> np.ndarray:
    try:
        from scipy import signal
    except ImportError:
        raise ImportError(SCIPY_IMPORT_ERROR) from None
    return np.asarray(signal.get_window(window, length, periodic), dtype=np.float64)
