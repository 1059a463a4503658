"""The transcript data model: words, segments, the result of one file."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float | None = None


@dataclass
class Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Segment:
        words = [Word(**w) for w in d.get("words") or []]
        return cls(start=d["start"], end=d["end"], text=d["text"], words=words)

    def shifted(self, seconds: float) -> Segment:
        """The segment with its times and its words' times moved later by `seconds`."""
        words = [Word(round(w.start + seconds, 3), round(w.end + seconds, 3), w.word,
                      w.probability) for w in self.words]
        return Segment(round(self.start + seconds, 3), round(self.end + seconds, 3), self.text,
                       words)


@dataclass
class Fallback:
    """A model switch the governor made, and why."""

    from_model: str
    to_model: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"from": self.from_model, "to": self.to_model, "reason": self.reason}


@dataclass
class Metrics:
    load_seconds: float = 0.0
    transcribe_seconds: float = 0.0
    rtf: float = 0.0
    peak_rss_bytes: int = 0
    estimate_bytes: int = 0
    batch_size: int = 1
    window_seconds: float = 0.0


@dataclass
class Transcript:
    """What one file became; every field is named in the command line contract."""

    file: str
    model: str
    engine: str
    precision: str
    language: str | None
    duration: float
    segments: list[Segment] = field(default_factory=list)
    fallback: Fallback | None = None
    metrics: Metrics = field(default_factory=Metrics)
    complete: bool = True
    # Sentences a person should read with the result, e.g. that the file was cut short.
    warnings: list[str] = field(default_factory=list)
    # True when a person changed the model's text (the library keeps the model's original).
    edited: bool = False
    # Its row in the user's library, once saved there (not part of the exported result).
    library_id: int | None = None

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments).strip()

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "model": self.model,
            "engine": self.engine,
            "precision": self.precision,
            "language": self.language,
            "duration": self.duration,
            "segments": [asdict(s) for s in self.segments],
            "fallback": self.fallback.to_dict() if self.fallback else None,
            "metrics": asdict(self.metrics),
            "complete": self.complete,
            "warnings": list(self.warnings),
            "edited": self.edited,
        }


def clock(seconds: float, decimals: int = 2) -> str:
    """Seconds as a person reads them: 01:05.20, or 1:01:05.20 past an hour; decimals=0: 01:05."""
    scale = 10**decimals
    units = max(0, round(seconds * scale))
    whole, fraction = divmod(units, scale)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{minutes:02d}:{secs:02d}" + (f".{fraction:0{decimals}d}" if decimals else "")
    return f"{hours}:{text}" if hours else text
