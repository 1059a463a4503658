"""The transcript data model: words, segments, the result of one file."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, TypeVar

SPEAKER_CHARS = 100  # the longest speaker name


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float | None = None
    speaker: str | None = None  # who said it (a display name), once speakers are found

    def to_dict(self) -> dict[str, Any]:
        """The word as JSON; "speaker" only when it has one (so results without speakers
        stay as they were)."""
        d: dict[str, Any] = {"start": self.start, "end": self.end, "word": self.word,
                             "probability": self.probability}
        if self.speaker is not None:
            d["speaker"] = self.speaker
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Word:
        return cls(d["start"], d["end"], d["word"], d.get("probability"), d.get("speaker"))


@dataclass
class Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    speaker: str | None = None  # who said most of it (a display name), once speakers are found

    def to_dict(self) -> dict[str, Any]:
        """The segment as JSON; "speaker" (here and in its words) only when set."""
        d: dict[str, Any] = {"start": self.start, "end": self.end, "text": self.text,
                             "words": [w.to_dict() for w in self.words]}
        if self.speaker is not None:
            d["speaker"] = self.speaker
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Segment:
        words = [Word.from_dict(w) for w in d.get("words") or []]
        return cls(start=d["start"], end=d["end"], text=d["text"], words=words,
                   speaker=d.get("speaker"))

    def shifted(self, seconds: float) -> Segment:
        """The segment with its times and its words' times moved later by `seconds`."""
        words = [replace(w, start=round(w.start + seconds, 3), end=round(w.end + seconds, 3))
                 for w in self.words]
        return replace(self, start=round(self.start + seconds, 3),
                       end=round(self.end + seconds, 3), words=words)


@dataclass
class SpeakerInfo:
    """One speaker of a transcript: its name, how long it spoke, and a voice of the voice
    library suggested (confidence set) or confirmed (confidence None) for it."""

    name: str
    seconds: float
    voice: str | None = None
    confidence: float | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SpeakerInfo:
        return cls(d["name"], float(d["seconds"]), d.get("voice"), d.get("confidence"))


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
    # Who spoke, in order of appearance; empty when speakers were not looked for.
    speakers: list[SpeakerInfo] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments).strip()

    def to_dict(self) -> dict[str, Any]:
        """The command line's JSON object; "speakers" only when speakers were found."""
        d = {
            "file": self.file,
            "model": self.model,
            "engine": self.engine,
            "precision": self.precision,
            "language": self.language,
            "duration": self.duration,
            "segments": [s.to_dict() for s in self.segments],
            "fallback": self.fallback.to_dict() if self.fallback else None,
            "metrics": asdict(self.metrics),
            "complete": self.complete,
            "warnings": list(self.warnings),
            "edited": self.edited,
        }
        if self.speakers:
            d["speakers"] = [asdict(s) for s in self.speakers]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Transcript:
        """A transcript from to_dict's object (fields it does not know are ignored)."""
        fb = d.get("fallback")
        known = set(Metrics.__dataclass_fields__)
        return cls(
            file=d["file"], model=d["model"], engine=d["engine"], precision=d["precision"],
            language=d.get("language"), duration=d["duration"],
            segments=[Segment.from_dict(s) for s in d.get("segments") or []],
            fallback=Fallback(fb["from"], fb["to"], fb["reason"]) if fb else None,
            metrics=Metrics(**{k: v for k, v in (d.get("metrics") or {}).items() if k in known}),
            complete=d.get("complete", True), warnings=list(d.get("warnings") or []),
            edited=d.get("edited", False),
            speakers=[SpeakerInfo.from_dict(s) for s in d.get("speakers") or []],
        )


def speaker_name(name: str) -> str:
    """A speaker's name on one line; ValueError when empty or longer than SPEAKER_CHARS."""
    name = " ".join(str(name).split())
    if not name:
        raise ValueError("A speaker needs a name.")
    if len(name) > SPEAKER_CHARS:
        raise ValueError(f"A speaker's name can be at most {SPEAKER_CHARS} characters, "
                         f"not {len(name)}.")
    return name


def speaking_time(segments: list[Segment]) -> dict[str, float]:
    """Seconds each speaker spoke (the lengths of their segments), in order of appearance."""
    time: dict[str, float] = {}
    for s in segments:
        if s.speaker is not None:
            time[s.speaker] = time.get(s.speaker, 0.0) + max(0.0, s.end - s.start)
    return {name: round(seconds, 3) for name, seconds in time.items()}


def renamed_speakers(speakers: list[SpeakerInfo], old: str, new: str) -> list[SpeakerInfo]:
    """The speaker list with old called new; when new is there already the two merge: their
    seconds add up, and new keeps its voice (or takes old's when it has none)."""
    source = next((s for s in speakers if s.name == old), None)
    target = next((s for s in speakers if s.name == new), None)
    if source is None or old == new:
        return [replace(s) for s in speakers]
    if target is None:
        return [replace(s, name=new) if s is source else replace(s) for s in speakers]
    merged = replace(target, seconds=round(target.seconds + source.seconds, 3))
    if merged.voice is None:
        merged.voice, merged.confidence = source.voice, source.confidence
    return [merged if s is target else replace(s) for s in speakers if s is not source]


def renamed_segments(segments: list[Segment], old: str, new: str) -> list[Segment]:
    """Copies of segments with every segment and word of speaker old given to new."""
    def name(speaker: str | None) -> str | None:
        return new if speaker == old else speaker
    return [replace(s, speaker=name(s.speaker),
                    words=[replace(w, speaker=name(w.speaker)) for w in s.words])
            for s in segments]


_Renamable = TypeVar("_Renamable", Transcript, list[Segment])


def rename_speaker(transcript_or_segments: _Renamable, old: str, new: str) -> _Renamable:
    """A copy with speaker old renamed new in every segment, word and the speaker list
    (merged into new when new already speaks); the input is left as it was."""
    new = speaker_name(new)
    if isinstance(transcript_or_segments, Transcript):
        t = transcript_or_segments
        return replace(t, segments=renamed_segments(t.segments, old, new),
                       speakers=renamed_speakers(t.speakers, old, new))
    return renamed_segments(list(transcript_or_segments), old, new)


def clock(seconds: float, decimals: int = 2) -> str:
    """Seconds as a person reads them: 01:05.20, or 1:01:05.20 past an hour; decimals=0: 01:05."""
    scale = 10**decimals
    units = max(0, round(seconds * scale))
    whole, fraction = divmod(units, scale)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{minutes:02d}:{secs:02d}" + (f".{fraction:0{decimals}d}" if decimals else "")
    return f"{hours}:{text}" if hours else text
