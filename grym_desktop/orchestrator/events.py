"""Events the orchestrator reports while it works; the window and the CLI listen to them."""

from __future__ import annotations

from dataclasses import dataclass

from grym_desktop import errors
from grym_desktop.transcript import Fallback, Segment, Transcript


@dataclass
class TaskStarted:
    task_id: int
    path: str


@dataclass
class ModelLoading:
    model_id: str
    precision: str
    estimate_bytes: int


@dataclass
class ModelLoaded:
    model_id: str
    precision: str
    seconds: float
    measured_bytes: int


@dataclass
class ModelUnloaded:
    model_id: str
    rss_before: int = 0
    rss_after: int = 0


@dataclass
class Progress:
    task_id: int
    fraction: float
    stage: str = "transcribing"  # or "finding speakers", after transcription in the same task


@dataclass
class SegmentAdded:
    task_id: int
    segment: Segment


@dataclass
class FallbackUsed:
    task_id: int
    fallback: Fallback


@dataclass
class TaskFinished:
    task_id: int
    transcript: Transcript


@dataclass
class TaskFailed:
    task_id: int
    path: str
    message: str
    error_type: str  # the error class's name, e.g. "TaskCancelledError"

    @property
    def error_class(self) -> type[errors.GrymError]:
        """The class of the error that ended the task, to compare with issubclass."""
        return errors.error_class(self.error_type)


@dataclass
class HostRestarted:
    pid: int
    reason: str = ""


@dataclass
class PlanMade:
    task_id: int
    model_id: str
    precision: str
    window_seconds: float
    batch_size: int
    reasons: list[str]
    warning: str | None = None


Event = (
    TaskStarted | ModelLoading | ModelLoaded | ModelUnloaded | Progress | SegmentAdded
    | FallbackUsed | TaskFinished | TaskFailed | HostRestarted | PlanMade
)
