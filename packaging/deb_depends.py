"""The Debian packages a one-folder build needs from the system, found from its ELF files.

Every shared object in the folder names the libraries it needs (readelf's NEEDED); those not
bundled in the folder are the system's, and `dpkg -S` says which package ships each. Prints
a Depends value, e.g. `python3 packaging/deb_depends.py dist/grym-desktop`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

# Data the bundled libraries read from the system, not seen in NEEDED: ALSA's configuration
# (the bundled libasound, for the microphone) and at least one font through fontconfig.
EXTRA_PACKAGES = ["libasound2", "libfontconfig1"]
# Plugins Qt loads only when their platform is in use; a library only they need is not a
# dependency (Qt skips a plugin whose libraries are missing): GTK theme, EGLFS/VNC/KMS.
OPTIONAL_PLUGINS = ("platformthemes", "egldeviceintegrations", "libqeglfs", "libqvnc",
                    "libqlinuxfb", "libqvkkhrdisplay", "libqminimalegl", "generic")
ELF_MAGIC = b"\x7fELF"
_NEEDED = re.compile(r"\(NEEDED\)\s+Shared library: \[(.+?)\]")
_GLIBC = re.compile(r"Name: GLIBC_(\d+)\.(\d+)")


def is_elf(path: Path) -> bool:
    """Whether path is a regular file that starts with the ELF magic bytes."""
    if not path.is_file() or path.is_symlink():
        return False
    with path.open("rb") as handle:
        return handle.read(4) == ELF_MAGIC


def needed(path: Path) -> list[str]:
    """The sonames path's dynamic section asks for."""
    out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True).stdout
    return _NEEDED.findall(out)


def glibc_version(path: Path) -> tuple[int, int]:
    """The newest GLIBC_x.y symbol version path asks for ((0, 0) when none)."""
    out = subprocess.run(["readelf", "-V", str(path)], capture_output=True, text=True).stdout
    return max(((int(a), int(b)) for a, b in _GLIBC.findall(out)), default=(0, 0))


def required_elves(folder: Path) -> list[Path]:
    """The ELF files in folder that always load (optional Qt plugins left out)."""
    return [path for path in sorted(folder.rglob("*"))
            if not any(part in str(path) for part in OPTIONAL_PLUGINS) and is_elf(path)]


def system_sonames(folder: Path) -> set[str]:
    """Sonames some required ELF file in folder needs that no file in folder provides."""
    names = {p.name for p in folder.rglob("*")}
    wanted: set[str] = set()
    for path in required_elves(folder):
        wanted.update(n for n in needed(path) if n not in names)
    return wanted


def system_path(soname: str) -> str | None:
    """Where the build machine's dynamic linker finds soname (ldconfig's cache)."""
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        name, _, target = line.strip().partition(" => ")
        if name.split(" ")[0] == soname and "x86-64" in name:
            return target
    return None


def owning_package(path: str) -> str | None:
    """The Debian package that ships path (the real file, symlinks resolved), if any."""
    for candidate in (path, str(Path(path).resolve())):
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":")[0].strip()
    return None


def depends(folder: Path) -> list[str]:
    """The sorted package names of the folder's system libraries plus EXTRA_PACKAGES; libc6
    with the newest glibc symbol version the folder uses."""
    packages = set(EXTRA_PACKAGES)
    for soname in sorted(system_sonames(folder)):
        path = system_path(soname)
        package = owning_package(path) if path else None
        if package is None:
            sys.exit(f"deb_depends: no Debian package provides {soname} on this machine")
        packages.add(package)
    glibc = max(glibc_version(path) for path in required_elves(folder))
    return [f"{p} (>= {glibc[0]}.{glibc[1]})" if p == "libc6" else p for p in sorted(packages)]


if __name__ == "__main__":
    print(", ".join(depends(Path(sys.argv[1]))))
