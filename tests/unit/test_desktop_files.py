"""The desktop integration files: the .desktop file and the AppStream metadata pass the real
validators, the icons are the sizes their folders say, and the ids agree everywhere."""

from __future__ import annotations

import configparser
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grym_desktop.batch.sources import MEDIA_EXTENSIONS

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
APP_ID = "io.github.grym.Desktop"
DESKTOP = RESOURCES / "desktop" / f"{APP_ID}.desktop"
METAINFO = RESOURCES / "desktop" / f"{APP_ID}.metainfo.xml"
ICONS = RESOURCES / "icons" / "hicolor"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
MIME_DATABASE = Path("/usr/share/mime/packages/freedesktop.org.xml")
MIME_NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def run_tool(*command: str) -> subprocess.CompletedProcess:
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed (Debian: desktop-file-utils, appstream)")
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_desktop_file_passes_desktop_file_validate():
    done = run_tool("desktop-file-validate", str(DESKTOP))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in (done.stdout + done.stderr).lower()


def test_metainfo_passes_appstreamcli_validate():
    done = run_tool("appstreamcli", "validate", "--no-net", "--explain", str(METAINFO))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_ids_agree_and_the_launcher_opens_files():
    entry = desktop_entry()
    assert entry["Exec"] == "grym-desktop %F"
    assert entry["Icon"] == APP_ID
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.find("content_rating") is not None and root.find("releases/release") is not None
    assert root.findtext("provides/binary") == "grym-desktop"
    from grym_desktop.ui.app import APP_ID as WINDOW_APP_ID

    assert WINDOW_APP_ID == APP_ID


def test_the_launcher_names_the_mime_types_of_every_file_the_app_decodes():
    """Each extension the decoder opens (batch/sources.py) maps, in the system's MIME
    database, to a type the .desktop file lists, so the file manager offers the app."""
    if not MIME_DATABASE.exists():
        pytest.skip("no shared-mime-info database on this machine")
    listed = {t for t in desktop_entry()["MimeType"].split(";") if t}
    by_extension: dict[str, set[str]] = {}
    for mime in ET.parse(MIME_DATABASE).getroot().findall("m:mime-type", MIME_NS):
        for glob in mime.findall("m:glob", MIME_NS):
            pattern = glob.get("pattern", "").lower()
            if pattern.startswith("*."):
                by_extension.setdefault(pattern[1:], set()).add(mime.get("type"))
    known = {ext: types for ext, types in by_extension.items() if ext in MEDIA_EXTENSIONS}
    assert len(known) >= 30  # all but the few the database has no type for (.caf, .w64, .rf64)
    unlisted = {ext: sorted(types) for ext, types in known.items() if not types & listed}
    assert unlisted == {}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_icons_come_in_every_size_and_as_svg():
    for size in ICON_SIZES:
        png = ICONS / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert png_size(png) == (size, size), png
    svg = ET.parse(ICONS / "scalable" / "apps" / f"{APP_ID}.svg").getroot()
    assert svg.tag.endswith("svg") and svg.get("viewBox") == "0 0 128 128"


def test_the_command_line_tells_files_to_open_from_commands(tmp_path, monkeypatch, capsys):
    """`grym-desktop FILE...` (the launcher's Exec line) opens the window with the files;
    a command stays a command; a file that is not there is named."""
    from grym_desktop import cli

    clip = tmp_path / "talk.ogg"
    clip.write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    assert cli.window_files([str(clip)]) == ([], [str(clip)])
    assert cli.window_files(["--memory-limit", "8G", "talk.ogg"]) == (
        ["--memory-limit", "8G"], ["talk.ogg"])
    assert cli.window_files(["--", "-odd name.wav"]) == ([], ["-odd name.wav"])
    assert cli.window_files(["transcribe", "talk.ogg"]) is None
    assert cli.window_files(["--memory-limit", "8G", "models", "list"]) is None
    assert cli.window_files([]) is None

    assert cli.main(["talk.ogg", "gone.wav"]) == 3
    assert "cannot open gone.wav: no such file" in capsys.readouterr().err
