"""Command line: ``kerasish run script.py [args...]`` and ``python -m kerasish script.py
[args...]`` run a Keras 2 / tf.keras script on kerasish, without TensorFlow."""

from __future__ import annotations

import sys
from typing import Optional, Sequence

USAGE = """usage: python -m kerasish script.py [args...]
       python -m kerasish -m package.module [args...]
       kerasish run script.py [args...]

Runs the script with `keras`, `tensorflow.keras` and `tf_keras` imported from kerasish
(TensorFlow itself is not needed: `tensorflow` provides `tf.keras` only)."""


def run_main(argv: Sequence[str]) -> int:
    """``python -m kerasish`` arguments: a script (or ``-m module``) and its own arguments."""
    from kerasish.compat import runner

    argv = list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    if argv[0] == "-m":
        if len(argv) < 2:
            print("kerasish: -m needs a module name\n" + USAGE, file=sys.stderr)
            return 2
        runner.run_module(argv[1], argv[2:])
        return 0
    runner.run_script(argv[0], argv[1:])
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The ``kerasish`` console script: ``kerasish run script.py [args...]``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    if argv[0] != "run":
        print(f"kerasish: unknown command {argv[0]!r}\n" + USAGE, file=sys.stderr)
        return 2
    return run_main(argv[1:])
