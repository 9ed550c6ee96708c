"""Interactive logging (Keras 3's ``keras.utils.io_utils``): where progress output goes.

Enabled (the default), progress bars write to stdout; disabled, each message goes to the
``kerasish`` Python logger at INFO level instead (Keras sends it to ``absl.logging``), which
suits training jobs whose output is collected by a logging system rather than a terminal.
"""

from __future__ import annotations

import logging
import sys

_INTERACTIVE = [True]
_LOGGER = logging.getLogger("kerasish")


def enable_interactive_logging() -> None:
    _INTERACTIVE[0] = True


def disable_interactive_logging() -> None:
    _INTERACTIVE[0] = False


def is_interactive_logging_enabled() -> bool:
    return _INTERACTIVE[0]


def print_msg(message: str, line_break: bool = True) -> None:
    """Write ``message`` to stdout, or to the logger when interactive logging is off."""
    message = str(message)
    if _INTERACTIVE[0]:
        sys.stdout.write(f"{message}\n" if line_break else message)
        sys.stdout.flush()
    else:
        _LOGGER.info(message)
