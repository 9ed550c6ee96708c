"""Run a Keras script as ``__main__`` with ``keras``/``tensorflow.keras`` resolved to kerasish."""

from __future__ import annotations

import os
import runpy
import sys
from typing import Sequence

from kerasish.compat.import_hook import install_as_keras


def run_script(path: str, args: Sequence[str] = ()) -> None:
    """Execute ``path`` as the main module: its own ``sys.argv`` (``[path, *args]``), its folder
    first on ``sys.path``, exceptions and ``SystemExit`` propagating as with ``python path``."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"kerasish: can't open file {path!r}: No such file or directory")
    install_as_keras()
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    runpy.run_path(path, run_name="__main__")


def run_module(name: str, args: Sequence[str] = ()) -> None:
    """``python -m kerasish -m package.module``: the module run as ``__main__``."""
    install_as_keras()
    sys.argv = [name, *args]
    sys.path.insert(0, os.getcwd())
    runpy.run_module(name, run_name="__main__", alter_sys=True)
