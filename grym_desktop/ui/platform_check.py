"""Before Qt starts: are the system libraries of Qt's X11 (xcb) platform plugin installed?

When one is missing, Qt aborts with "Could not load the Qt platform plugin xcb" and often
names the wrong library. This module asks the dynamic linker (`ldd`) which libraries of
PySide6's libqxcb.so do not resolve and prints one message with the `apt-get` line that
installs them. Pure Python, no Qt import: it must run before Qt loads the plugin.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

# Library file name (soname) -> the Debian/Ubuntu package that ships it; every entry was
# checked with `dpkg -S` on Debian 12. These are all the system libraries libqxcb.so needs.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libpng16.so.16": "libpng16-16",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libpcre2-8.so.0": "libpcre2-8-0",
    "libexpat.so.1": "libexpat1",
    "libz.so.1": "zlib1g",
    "libzstd.so.1": "libzstd1",
    "libbrotlidec.so.1": "libbrotli1",
    "libbrotlicommon.so.1": "libbrotli1",
    "libstdc++.so.6": "libstdc++6",
    "libgcc_s.so.1": "libgcc-s1",
}

EXIT_CODE = 1  # the command line's "anything else" (cli.py)
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$", re.MULTILINE)


def xcb_will_be_used(environ: Mapping[str, str] = os.environ,
                     platform: str = sys.platform) -> bool:
    """Whether Qt will pick its xcb plugin: Linux, an X display, and QT_QPA_PLATFORM unset
    or xcb. A Wayland session with QT_QPA_PLATFORM unset is left to Qt (it tries wayland)."""
    if not platform.startswith("linux") or not environ.get("DISPLAY"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return chosen.split(";")[0].split(":")[0] == "xcb"
    return not (environ.get("XDG_SESSION_TYPE") == "wayland" and environ.get("WAYLAND_DISPLAY"))


def xcb_plugin_path(environ: Mapping[str, str] = os.environ) -> Path | None:
    """Where the libqxcb.so that Qt will load is, found without importing PySide6."""
    folders = []
    if environ.get("QT_QPA_PLATFORM_PLUGIN_PATH"):
        folders.append(Path(environ["QT_QPA_PLATFORM_PLUGIN_PATH"]))
    spec = importlib.util.find_spec("PySide6")
    for location in (spec.submodule_search_locations or []) if spec else []:
        folders.append(Path(location) / "Qt" / "plugins" / "platforms")
    return next((f / "libqxcb.so" for f in folders if (f / "libqxcb.so").is_file()), None)


def unresolved_libraries(ldd_output: str) -> list[str]:
    """The sonames `ldd` reports as "not found", in its order, each once."""
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def run_ldd(library: Path) -> str | None:
    """`ldd`'s report on a shared library, or None when ldd is absent or cannot read it."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    try:
        result = subprocess.run([ldd, str(library)], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout


def missing_libraries(library: Path) -> list[str]:
    """The sonames the dynamic linker cannot find for library (and what it needs in turn)."""
    output = run_ldd(library)
    return unresolved_libraries(output) if output else []


def debian_package(soname: str) -> str:
    """The package that ships soname: from the checked table, else Debian's naming rule
    (libfoo.so.1 -> libfoo1, libfoo-2.so.0 -> libfoo-2-0)."""
    if soname in DEBIAN_PACKAGES:
        return DEBIAN_PACKAGES[soname]
    stem, _, version = soname.partition(".so")
    version = version.lstrip(".").split(".")[0]
    joiner = "-" if stem[-1:].isdigit() else ""
    return f"{stem}{joiner}{version}".lower()


def install_command(sonames: list[str]) -> str:
    """The one `apt-get` line that installs the packages of these sonames."""
    packages = dict.fromkeys(debian_package(s) for s in sonames)
    return "sudo apt-get install -y " + " ".join(packages)


def advice(sonames: list[str]) -> str:
    """The message for the user: what is missing and the command that fixes it."""
    guessed = [s for s in sonames if s not in DEBIAN_PACKAGES]
    lines = [
        "grym-desktop: the window cannot open because Qt's X11 (xcb) platform plugin needs "
        f"system libraries that are not installed: {', '.join(sonames)}.",
        "Install them with:",
        f"    {install_command(sonames)}",
    ]
    if guessed:
        lines.append(f"(The package name of {', '.join(guessed)} is guessed from the library "
                     "name; `apt-file search` finds it if apt-get does not.)")
    return "\n".join(lines)


def check_platform_libraries(environ: Mapping[str, str] = os.environ,
                             stream: TextIO | None = None) -> bool:
    """True when Qt can load its platform plugin as far as we can tell; otherwise print
    the advice to stream (stderr) and return False. Only the xcb plugin is checked."""
    if not xcb_will_be_used(environ):
        return True
    plugin = xcb_plugin_path(environ)
    missing = missing_libraries(plugin) if plugin else []
    if not missing:
        return True
    print(advice(missing), file=stream or sys.stderr)
    return False
