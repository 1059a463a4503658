"""Transcript exporters: plain text, SubRip, WebVTT and the command line's JSON object."""

from __future__ import annotations

import errno
import json
from pathlib import Path

from grym_desktop.errors import GrymError, UsageError
from grym_desktop.paths import write_atomically
from grym_desktop.transcript import Segment, Transcript

FORMATS = ("txt", "srt", "vtt", "json")


def _timestamp(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{ms:03d}"


def _lines(t: Transcript) -> list[tuple[Segment, str]]:
    """Segments with their text on one line; segments without text are left out."""
    pairs = [(s, " ".join(s.text.split())) for s in t.segments]
    return [(s, text) for s, text in pairs if text]


def _name(s: Segment) -> str | None:
    """The segment's speaker on one line, or None."""
    name = " ".join(s.speaker.split()) if s.speaker else ""
    return name or None


def to_txt(t: Transcript) -> str:
    """One line of plain text per segment, `Alice: ` before it when its speaker is known."""
    return "".join(f"{name}: {text}\n" if (name := _name(s)) else f"{text}\n"
                   for s, text in _lines(t))


def to_srt(t: Transcript) -> str:
    """SubRip: numbered cues, HH:MM:SS,mmm --> HH:MM:SS,mmm, a blank line between cues;
    a cue whose speaker is known starts `[Alice] `."""
    return "\n".join(
        f"{i}\n{_timestamp(s.start, ',')} --> {_timestamp(s.end, ',')}\n"
        f"{f'[{name}] ' if (name := _name(s)) else ''}{text}\n"
        for i, (s, text) in enumerate(_lines(t), start=1)
    )


def _vtt_text(text: str) -> str:
    # Cue text is markup; escaping ">" also keeps "-->", which ends a timing line, out of it.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _vtt_voice(name: str) -> str:
    # A voice span's annotation runs to ">": the name may hold no markup characters.
    return name.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def to_vtt(t: Transcript) -> str:
    """WebVTT: a WEBVTT header, then cues with HH:MM:SS.mmm timings; a cue whose speaker is
    known is a voice span, `<v Alice>text`."""
    cues = [
        f"{_timestamp(s.start, '.')} --> {_timestamp(s.end, '.')}\n"
        f"{f'<v {_vtt_voice(name)}>' if (name := _name(s)) else ''}{_vtt_text(text)}\n"
        for s, text in _lines(t)
    ]
    return "\n".join(["WEBVTT\n", *cues])


def to_json(t: Transcript) -> str:
    """The object of the command line contract (`transcribe --format json`); with speakers,
    a `speaker` on each segment and word that has one and the `speakers` list."""
    return json.dumps(t.to_dict(), ensure_ascii=False, indent=2)


_RENDERERS = {"txt": to_txt, "srt": to_srt, "vtt": to_vtt, "json": to_json}


def render(t: Transcript, fmt: str) -> str:
    """The transcript as text in one of FORMATS."""
    if fmt not in _RENDERERS:
        raise UsageError(f"Unknown export format '{fmt}'; choose one of {', '.join(FORMATS)}.")
    return _RENDERERS[fmt](t)


def write(t: Transcript, fmt: str, directory: Path) -> Path:
    """Write <stem of t.file>.<fmt> into directory atomically and return its path."""
    return write_to(t, fmt, Path(directory) / default_name(t, fmt))


def default_name(t: Transcript, fmt: str) -> str:
    """The file name an export proposes: the audio file's stem with the format's suffix."""
    return f"{Path(t.file).stem or 'transcript'}.{fmt}"


def write_to(t: Transcript, fmt: str, target: Path) -> Path:
    """Write the transcript as fmt to target atomically (replacing it) and return its path."""
    text = render(t, fmt)
    target = Path(target)
    try:
        write_atomically(target, text)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            reason = "disk is full"
        elif exc.errno in (errno.EEXIST, errno.ENOTDIR):
            reason = "part of its folder path is a file"
        else:
            reason = (exc.strerror or str(exc)).lower()
        raise GrymError(f"Could not write {target}: {reason}.") from exc
    return target
