"""PyInstaller runtime hook: sounddevice loads the PortAudio bundled beside the program.

On Linux sounddevice asks ctypes.util.find_library("portaudio"), which only looks at the
system's libraries; this makes it return the bundled copy when there is one.
"""

import ctypes.util
import os
import sys

_BUNDLED = os.path.join(getattr(sys, "_MEIPASS", ""), "libportaudio.so.2")
_system_find_library = ctypes.util.find_library


def _find_library(name: str) -> str | None:
    if name == "portaudio" and os.path.isfile(_BUNDLED):
        return _BUNDLED
    return _system_find_library(name)


ctypes.util.find_library = _find_library
