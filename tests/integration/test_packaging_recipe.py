"""The packaging recipe's own pieces, without building: the Debian Depends found from ELF
files, the PortAudio runtime hook and the shell scripts' syntax (make package builds)."""

from __future__ import annotations

import ctypes.util
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, PACKAGING / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not (shutil.which("readelf") and shutil.which("dpkg")),
                    reason="needs readelf (binutils) and dpkg")
def test_depends_name_the_system_libraries_a_folder_needs_and_not_the_bundled_ones(tmp_path):
    deb_depends = load("deb_depends")
    program = tmp_path / "app" / "program"
    program.parent.mkdir()
    shutil.copy(shutil.which("sort"), program)  # needs libc.so.6 from the system
    needed = deb_depends.needed(program)
    assert "libc.so.6" in needed
    bundled = [n for n in needed if n != "libc.so.6"]
    for name in bundled:  # any other library it needs is "bundled" beside it
        (program.parent / name).write_bytes(b"not an ELF file")
    assert deb_depends.system_sonames(program.parent) == {"libc.so.6"}
    depends = deb_depends.depends(program.parent)
    assert any(d.startswith("libc6 (>= 2.") for d in depends)
    assert set(deb_depends.EXTRA_PACKAGES) <= set(depends)


def test_the_portaudio_hook_prefers_the_bundled_library_and_leaves_others_alone(
        tmp_path, monkeypatch):
    (tmp_path / "libportaudio.so.2").write_bytes(b"")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setattr(ctypes.util, "find_library", ctypes.util.find_library)
    load("pyi_rth_portaudio")
    assert ctypes.util.find_library("portaudio") == str(tmp_path / "libportaudio.so.2")
    assert ctypes.util.find_library("surely-no-such-library-here") is None


@pytest.mark.parametrize("script", ["build_deb.sh", "package_test.sh"])
def test_the_packaging_scripts_parse(script):
    result = subprocess.run(["bash", "-n", str(PACKAGING / script)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
