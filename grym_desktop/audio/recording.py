"""A live session's audio, kept in the app's recordings folder as it is heard, so the saved
session can be listened to like any file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.paths import data_dir


def recordings_dir() -> Path:
    return data_dir() / "recordings"


def is_app_recording(path: str | Path) -> bool:
    """True for a regular file (not a link) inside the recordings folder: the app's to delete."""
    path = Path(path)
    try:
        return (not path.is_symlink() and path.is_file()
                and path.resolve().parent == recordings_dir().resolve())
    except OSError:
        return False


class Recorder:
    """Appends 16 kHz mono blocks to a FLAC file named after the session.

    A write that fails (a full disk) ends the recording with one sentence in `error`; the
    session, and its transcript, go on.
    """

    def __init__(self, title: str):
        folder = recordings_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path, n = folder / f"{title}.flac", 2
        while path.exists():
            path, n = folder / f"{title} ({n}).flac", n + 1
        self.path = path
        self.error: str | None = None
        self._file: sf.SoundFile | None = sf.SoundFile(
            path, "w", samplerate=SAMPLE_RATE, channels=1, format="FLAC", subtype="PCM_16")

    def write(self, block: np.ndarray) -> None:
        if self._file is None:
            return
        try:
            self._file.write(block)
        except (sf.LibsndfileError, OSError, RuntimeError) as exc:
            self.error = (f"The recording {self.path.name} stopped ({exc}); the transcript "
                          "goes on.")
            self.close()

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except (sf.LibsndfileError, OSError, RuntimeError) as exc:
                self.error = self.error or f"The recording {self.path.name} is incomplete ({exc})."
            self._file = None
