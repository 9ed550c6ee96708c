"""Writing a file so that a failure never leaves a half-written one in its place.

The file is written under a temporary name in the same directory (so the final rename stays on
one filesystem) and moved over the target with ``os.replace`` only once complete. A failing
save leaves the previous file, if any, exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Iterator


@contextlib.contextmanager
def atomic_path(filepath: str) -> Iterator[str]:
    """Yield a temporary path to write; on success it replaces ``filepath``."""
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(filepath)}.", suffix=".tmp", dir=directory)
    os.close(handle)
    try:
        yield temporary
        os.chmod(temporary, _new_file_mode(filepath))
        os.replace(temporary, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def _new_file_mode(filepath: str) -> int:
    """The mode an ordinary ``open(filepath, "w")`` would give (mkstemp's is owner-only)."""
    if os.path.exists(filepath):
        return os.stat(filepath).st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def ask_to_proceed_with_overwrite(filepath: str) -> bool:
    """Keras' prompt when ``overwrite=False`` and the file exists."""
    answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    if answer == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


def may_write(filepath: str, overwrite: bool) -> bool:
    """False when the user declines to overwrite an existing file."""
    if overwrite or not os.path.exists(filepath):
        return True
    return ask_to_proceed_with_overwrite(filepath)
