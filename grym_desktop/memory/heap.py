"""Give freed heap pages back to the system, so a process's RSS shows what it really holds."""

from __future__ import annotations

import ctypes
import sys


def trim_heap() -> None:
    """Hand the heap pages freed by an unload back to the system; glibc keeps them otherwise."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).malloc_trim(0)
        except (OSError, AttributeError):  # a libc without malloc_trim (musl)
            pass
