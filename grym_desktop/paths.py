"""Where the app keeps its files, and how it writes and checks them.

The bottom layer: plain Python, no Qt, no torch, nothing else from grym_desktop.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "GRYM_DATA_DIR"
_BLOCK_BYTES = 1 << 20


def data_dir() -> Path:
    """The app's data folder (library, models): $GRYM_DATA_DIR when set, else the platform's."""
    return Path(os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir("grym-desktop"))


def write_atomically(path: Path, text: str) -> None:
    """Write text (UTF-8) to path so that a reader sees the old file or the new one, never a part.

    The text goes to a temporary file in the same folder, is flushed to disk, then renamed over
    path. On any error the temporary file is removed, the old file is left whole and the error
    (OSError, UnicodeEncodeError) is raised. Missing parent folders are created.
    """
    path = Path(path)
    content = text.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        # 0o666 lets the umask decide the mode, as for any file the user saves.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):  # the first error is the one to report
            tmp.unlink()
        raise


def file_digest(path: Path, digest: hashlib._Hash | None = None) -> str:
    """The hex digest of a file read in 1 MiB blocks: SHA-256, or that of the hashlib object given.

    A given object may already hold a prefix (git's blob SHA-1 starts with the blob header).
    """
    digest = digest if digest is not None else hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_BLOCK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()
