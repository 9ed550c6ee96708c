"""SciPy's window functions as kerasish computes them (no SciPy needed)."""

import builtins

import numpy as np
import pytest

from kerasish import signal_windows


@pytest.mark.parametrize(
    "name, reference",
    [("hann", np.hanning), ("hanning", np.hanning), ("hamming", np.hamming),
     ("blackman", np.blackman), ("bartlett", np.bartlett), ("boxcar", np.ones)],
)
@pytest.mark.parametrize("length", [0, 1, 2, 5, 16])
def test_symmetric_windows_equal_numpys(name, reference, length):
    np.testing.assert_allclose(signal_windows.get_window(name, length), reference(length), atol=1e-15)


def test_periodic_window_is_one_point_longer_and_truncated():
    np.testing.assert_allclose(signal_windows.get_window("hann", 8, periodic=True), np.hanning(9)[:-1])


def test_other_windows_need_scipy(monkeypatch):
    real_import = builtins.__import__

    def no_scipy(name, *args, **kwargs):
        if name.startswith("scipy"):
            raise ImportError("no scipy")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_scipy)
    with pytest.raises(ImportError, match="This requires the scipy module"):
        signal_windows.get_window("kaiser", 8)
    with pytest.raises(ImportError, match="pip install scipy"):
        signal_windows.check_window("tukey")
    signal_windows.check_window("hamming")  # computed here: no SciPy needed
