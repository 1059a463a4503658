"""How a model decodes audio: one set of choices, made once, carried to the model host."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from grym_desktop.errors import GrymError

TASKS = ("transcribe", "translate")
# faster-whisper's own safeguards against hallucination (None turns one off).
THRESHOLDS = (
    "compression_ratio_threshold", "no_speech_threshold", "log_prob_threshold",
    "hallucination_silence_threshold",
)


@dataclass(frozen=True)
class DecodeOptions:
    """The user's choices for decoding, plus what the memory plan decided (window, batch).

    Built by the command line, the window or a live session; sent over the host pipe as
    a dict and rebuilt there by from_dict, which refuses anything it does not know.
    """

    language: str | None = None  # None: the model detects it
    task: str = "transcribe"
    beam_size: int = 5
    word_timestamps: bool = True
    condition_on_previous_text: bool = True
    initial_prompt: str | None = None
    speech_filter: bool = True  # drop text where VAD heard no speech; decode missed speech again
    vad_filter: bool = False  # faster-whisper's own VAD before decoding
    batched: bool = False  # faster-whisper's batched pipeline
    batch_size: int | None = None  # None: the memory plan chooses
    window_seconds: float = 120.0  # engines that decode a window at a time
    quick: bool = False  # live partial text: a shorter encoder window
    # Files under one 30 s window are decoded piece by piece, cut in pauses, so their first
    # sentences show while the rest is decoded (about 1.5 times the work; the window's choice).
    early_segments: bool = False
    # faster-whisper's safeguards, at its defaults; None turns one off.
    compression_ratio_threshold: float | None = 2.4
    no_speech_threshold: float | None = 0.6
    log_prob_threshold: float | None = -1.0
    hallucination_silence_threshold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DecodeOptions:
        """Options from a dict (the pipe, a saved preference); unknown or ill-typed ones refused."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise GrymError(f"Unknown decoding options: {', '.join(unknown)}.")
        options = cls(**data)
        options.check()
        return options

    def check(self) -> None:
        """Raise GrymError for a choice no engine can honour."""
        if self.task not in TASKS:
            raise GrymError(f"The task must be one of {', '.join(TASKS)}, not {self.task!r}.")
        if not isinstance(self.beam_size, int) or not 1 <= self.beam_size <= 20:
            raise GrymError(f"The beam size must be a whole number from 1 to 20, not "
                            f"{self.beam_size!r}.")
        if self.batch_size is not None and (not isinstance(self.batch_size, int)
                                            or not 1 <= self.batch_size <= 64):
            raise GrymError(f"The batch size must be from 1 to 64, not {self.batch_size!r}.")
        if not isinstance(self.window_seconds, (int, float)) or not 10 <= self.window_seconds:
            raise GrymError(f"A decoding window must be at least 10 s, not "
                            f"{self.window_seconds!r}.")
        for name in THRESHOLDS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, (int, float)):
                raise GrymError(f"The option {name} must be a number, not {value!r}.")

    def thresholds(self) -> dict[str, float | None]:
        """faster-whisper's safeguards by their keyword names."""
        return {name: getattr(self, name) for name in THRESHOLDS}
