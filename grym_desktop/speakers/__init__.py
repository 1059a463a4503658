"""Who spoke when: diarization from speaker embeddings (pure functions, no model calls)."""

from grym_desktop.speakers.diarize import (
    AUTO_THRESHOLD,
    MIN_WINDOWS,
    OVERLAP,
    Diarization,
    SpeakerTurn,
    assign,
    centroids,
    cluster,
    find_speakers,
    speaker_name,
    speaking_time,
    speech_regions,
    speech_windows,
    turns,
    window_blocks,
)

__all__ = [
    "AUTO_THRESHOLD", "MIN_WINDOWS", "OVERLAP", "Diarization", "SpeakerTurn", "assign",
    "centroids", "cluster",
    "find_speakers", "speaker_name", "speaking_time", "speech_regions", "speech_windows",
    "turns", "window_blocks",
]
