"""The check of Qt's xcb plugin libraries before the window starts (grym_desktop/ui/platform_check).

The first tests read a captured `ldd` report; the last one hides two real system libraries
in a private mount namespace and starts the real `grym-desktop`, as on the machine of issue 11.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grym_desktop.ui import platform_check as pc

# `ldd libqxcb.so` (start) on Debian 12 with libxcb-icccm4 and libxcb-keysyms1 hidden.
CAPTURED_LDD = """\
\tlinux-vdso.so.1 (0x00007f2c482e0000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f2c48212000)
\tlibGL.so.1 => /lib/x86_64-linux-gnu/libGL.so.1 (0x00007f2c48180000)
\tlibxkbcommon-x11.so.0 => /lib/x86_64-linux-gnu/libxkbcommon-x11.so.0 (0x00007f2c4812d000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f2c48126000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => /lib/x86_64-linux-gnu/libxcb-util.so.1 (0x00007f2c4811e000)
\tlibxcb-image.so.0 => /lib/x86_64-linux-gnu/libxcb-image.so.0 (0x00007f2c48118000)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-randr.so.0 => /lib/x86_64-linux-gnu/libxcb-randr.so.0 (0x00007f2c475ef000)
\tlibxcb-icccm.so.4 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f2c482e2000)
"""
HIDDEN = ("libxcb-icccm.so", "libxcb-keysyms.so")  # file name prefixes the last test hides
X11 = {"DISPLAY": ":7"}


def test_not_found_lines_give_each_missing_soname_once_in_order():
    assert pc.unresolved_libraries(CAPTURED_LDD) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert pc.unresolved_libraries(CAPTURED_LDD.replace("not found", "/lib/x.so (0x1)")) == []


@pytest.mark.parametrize("soname, package", [
    ("libxcb-cursor.so.0", "libxcb-cursor0"), ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"), ("libEGL.so.1", "libegl1"),
    ("libdbus-1.so.3", "libdbus-1-3"), ("libglib-2.0.so.0", "libglib2.0-0"),
    # not in the table: Debian's naming rule
    ("libxcb-xinput.so.0", "libxcb-xinput0"), ("libfoo-2.so.3", "libfoo-2-3"),
])
def test_sonames_map_to_debian_packages(soname, package):
    assert pc.debian_package(soname) == package


def test_advice_names_the_libraries_and_one_install_line():
    text = pc.advice(["libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in text
    assert text.count("apt-get") == 1
    assert "    sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1\n" in text + "\n"
    assert "guessed" not in text
    assert "guessed" in pc.advice(["libxcb-xinput.so.0"])


def test_two_sonames_of_one_package_install_it_once():
    assert pc.install_command(["libglib-2.0.so.0", "libgthread-2.0.so.0"]) == (
        "sudo apt-get install -y libglib2.0-0")


@pytest.mark.parametrize("environ, platform, expected", [
    (X11, "linux", True),
    ({**X11, "QT_QPA_PLATFORM": "xcb"}, "linux", True),
    ({**X11, "QT_QPA_PLATFORM": "xcb:nograb"}, "linux", True),
    ({**X11, "QT_QPA_PLATFORM": "offscreen"}, "linux", False),
    ({**X11, "QT_QPA_PLATFORM": "wayland;xcb"}, "linux", False),
    ({"QT_QPA_PLATFORM": "xcb"}, "linux", False),  # no display: Qt says so itself
    ({**X11, "XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
    (X11, "darwin", False),
])
def test_only_an_xcb_start_is_checked(environ, platform, expected):
    assert pc.xcb_will_be_used(environ, platform) is expected


def test_offscreen_start_is_never_blocked(monkeypatch):
    monkeypatch.setattr(pc, "missing_libraries", lambda _plugin: ["libxcb-icccm.so.4"])
    stream = io.StringIO()
    assert pc.check_platform_libraries({**X11, "QT_QPA_PLATFORM": "offscreen"}, stream)
    assert not pc.check_platform_libraries(X11, stream)
    assert "libxcb-icccm4" in stream.getvalue()


def test_this_machines_xcb_plugin_resolves_with_the_real_ldd():
    plugin = pc.xcb_plugin_path({})
    if plugin is None or shutil.which("ldd") is None:
        pytest.skip("no libqxcb.so in PySide6 or no ldd")
    assert pc.run_ldd(plugin) and "libxcb-cursor.so.0 =>" in pc.run_ldd(plugin)
    assert pc.missing_libraries(plugin) == []
    assert pc.check_platform_libraries(X11, io.StringIO())


# -- end to end: the real app on a machine without libxcb-icccm4 and libxcb-keysyms1 -----

def namespace_command() -> list[str]:
    """unshare in a private mount namespace (with a user namespace when not root)."""
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return ["unshare", *user, "--mount"]


def system_library_folder() -> Path:
    """The folder that really holds libxcb-icccm.so.4 (resolved through /lib symlinks)."""
    for line in pc.run_ldd(pc.xcb_plugin_path({})).splitlines():
        if line.strip().startswith("libxcb-icccm.so.4 =>"):
            return Path(line.split("=>")[1].split("(")[0].strip()).resolve().parent
    raise AssertionError("libxcb-icccm.so.4 does not resolve on this machine")


def folder_without(tmp_path: Path, folder: Path) -> tuple[Path, Path]:
    """A view of folder (symlinks into `orig`, where folder gets bind-mounted) that lacks
    the HIDDEN libraries; returns (orig, view)."""
    orig, view = tmp_path / "orig", tmp_path / "view"
    orig.mkdir(parents=True)
    view.mkdir()
    for entry in os.listdir(folder):
        if not entry.startswith(HIDDEN):
            (view / entry).symlink_to(orig / entry)
    return orig, view


def run_without_libraries(tmp_path: Path, command: list[str],
                          env: dict) -> subprocess.CompletedProcess:
    """Run command where the system library folder lacks the HIDDEN libraries."""
    folder = system_library_folder()
    orig, view = folder_without(tmp_path, folder)
    script = f'mount --bind "{folder}" "{orig}" && mount --bind "{view}" "{folder}" && exec "$@"'
    return subprocess.run([*namespace_command(), "sh", "-c", script, "sh", *command],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def can_hide_libraries():
    if sys.platform != "linux" or not shutil.which("unshare") or shutil.which("ldd") is None:
        pytest.skip("needs Linux, unshare and ldd")
    if pc.xcb_plugin_path({}) is None:
        pytest.skip("PySide6 has no xcb plugin here")
    probe = subprocess.run([*namespace_command(), "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no private mount namespace here: {probe.stderr.decode().strip()}")


def test_app_start_without_two_xcb_libraries_prints_the_fix_not_qts_abort(
        tmp_path, can_hide_libraries):
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "XDG_SESSION_TYPE", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = ":7"  # never reached: the check ends the start before Qt connects

    # What the user saw: Qt aborts and names libxcb-cursor0, which is installed.
    qt_alone = run_without_libraries(
        tmp_path / "qt", [sys.executable, "-c", "from PySide6.QtWidgets import QApplication; "
                          "QApplication([])"], {**env, "QT_QPA_PLATFORM": "xcb"})
    assert qt_alone.returncode != 0
    assert 'Could not load the Qt platform plugin "xcb"' in qt_alone.stderr

    # What `make run` does now.
    app = run_without_libraries(tmp_path / "app",
                                [str(Path(sys.executable).parent / "grym-desktop")], env)
    assert app.returncode == pc.EXIT_CODE, app.stderr
    assert "Could not load the Qt platform plugin" not in app.stderr
    assert "not installed: libxcb-icccm.so.4, libxcb-keysyms.so.1." in app.stderr
    assert app.stderr.count("sudo apt-get install") == 1
    assert "    sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1\n" in app.stderr
