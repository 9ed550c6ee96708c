"""Run ``kerasish-convert`` from a checkout: ``python tools/convert.py to-torch model.h5 out.pt``."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from kerasish.cli_convert import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
