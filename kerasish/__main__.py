"""``python -m kerasish script.py [args...]``: see ``kerasish.cli``."""

import sys

from kerasish.cli import run_main

if __name__ == "__main__":
    sys.exit(run_main(sys.argv[1:]))
