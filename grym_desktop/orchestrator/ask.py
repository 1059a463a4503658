"""Ask a recording a question: an audio-language model in the host hears the audio (and reads
its transcript, when there is one) and answers, token by token.

The model is one of the catalog's `ask` models, loaded under the governor like any other: the
user's choice, or with fallback the largest one that fits the memory budget and is installed.
Every answer is kept in the library beside the recording's transcript.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from grym_desktop.audio.decode import probe
from grym_desktop.errors import GrymError, MemoryRefusedError, ModelMissingError, UsageError
from grym_desktop.memory.estimate import Estimate
from grym_desktop.models.catalog import ModelSpec, get_spec, load_catalog
from grym_desktop.models.footprint import ASK_ANSWER_TOKENS, estimate_from_catalog
from grym_desktop.orchestrator.runner import Orchestrator
from grym_desktop.transcript import Transcript, clock

# The most transcript sent as context; the host gives each part of the audio the lines of its
# own stretch and cuts them to the prompt the estimate planned for (ASK_PROMPT_TOKENS).
CONTEXT_CHARS = 200_000
MAX_QUESTION_CHARS = 2000


@dataclass
class Answer:
    """What a model answered about a recording, and what it took."""

    file: str
    question: str
    answer: str
    model: str
    precision: str
    parts: list[dict[str, Any]] = field(default_factory=list)  # start, end, answer per part
    note: str | None = None  # said plainly, e.g. that the question was asked per part
    stopped: bool = False
    tokens: int = 0
    prompt_tokens: int = 0
    load_seconds: float = 0.0
    answer_seconds: float = 0.0
    peak_rss_bytes: int = 0
    estimate_bytes: int = 0
    skipped: list[str] = field(default_factory=list)  # models passed over, and why
    transcript_id: int | None = None  # the transcript given as context
    id: int | None = None  # the library row

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ask_models() -> list[ModelSpec]:
    """Every catalog model that answers questions about audio."""
    return [s for s in load_catalog().values() if "ask" in s.capabilities]


def size_class(spec: ModelSpec) -> Estimate:
    """The least memory a model needs (at its smallest precision) by its real configuration,
    installed or not: the ranking of the fallback chain (the largest model that fits first)."""
    return min((estimate_from_catalog(spec, p) for p in spec.precisions),
               key=lambda e: e.total_bytes)


def ask_chain(first: str | None, fallback: bool) -> list[str]:
    """The user's model; with fallback (or no model named) then every ask model from the
    largest to the smallest."""
    ranked = sorted(ask_models(), key=lambda s: size_class(s).total_bytes, reverse=True)
    chain = [first] if first else []
    if fallback or not first:
        chain += [s.id for s in ranked]
    return list(dict.fromkeys(chain))


def transcript_context(transcript: Transcript) -> str:
    """The transcript as the model reads it: a line per segment with its time and speaker,
    cut to CONTEXT_CHARS (and saying so)."""
    lines, used = [], 0
    for segment in transcript.segments:
        who = f"{segment.speaker}: " if segment.speaker else ""
        line = f"[{clock(segment.start)}] {who}{segment.text.strip()}"
        if used + len(line) > CONTEXT_CHARS:
            lines.append("[the transcript goes on]")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def ask(
    orchestrator: Orchestrator,
    path: str,
    question: str,
    model_id: str | None = None,
    precision: str | None = None,
    fallback: bool = False,
    use_transcript: bool = True,
    max_new_tokens: int = ASK_ANSWER_TOKENS,
    on_token: Callable[[str], None] | None = None,
    on_model: Callable[[str, str, int], None] | None = None,
) -> Answer:
    """Ask the recording at path a question; the answer is kept in the orchestrator's library.

    Raises MemoryRefusedError (with the estimate and the budget) or ModelMissingError when no
    model of the chain can run, InputError for audio or a question that cannot be used.
    """
    question = " ".join(question.split())
    if not question:
        raise UsageError("The question is empty; type what you want to know about the recording.")
    if len(question) > MAX_QUESTION_CHARS:
        raise UsageError(f"The question is {len(question):,} characters long; ask in at most "
                         f"{MAX_QUESTION_CHARS:,}.")
    if model_id is not None and "ask" not in get_spec(model_id).capabilities:
        raise UsageError(f"The model {model_id} cannot answer questions about audio; use one of "
                         f"{', '.join(s.id for s in ask_models())}.")
    if not 1 <= max_new_tokens <= ASK_ANSWER_TOKENS:
        raise UsageError(f"The answer can be 1 to {ASK_ANSWER_TOKENS} tokens long (what the "
                         "memory estimate plans for).")
    probe(path)  # InputError for audio that cannot be used, before any model is loaded
    library = orchestrator.library
    transcript_id, context = None, None
    if use_transcript and library is not None:
        transcript_id = library.latest_for_file(path)
        if transcript_id is not None:
            context = transcript_context(library.load_transcript(transcript_id))
    chain = ask_chain(model_id, fallback)
    tried: list[tuple[str, GrymError]] = []
    for candidate in chain:
        try:
            loaded = orchestrator.ensure_model(candidate, precision if candidate == model_id
                                               else None)
            break
        except (MemoryRefusedError, ModelMissingError) as exc:
            tried.append((candidate, exc))
    else:
        raise _nothing_runs(tried)
    skipped = [str(exc) for _model, exc in tried]
    spec, the_plan = loaded.spec, loaded.plan
    if on_model is not None:
        on_model(spec.id, the_plan.precision, the_plan.estimate.total_bytes)
    orchestrator.watchdog.reset_peak()
    started = time.perf_counter()

    def on_event(message: dict) -> None:
        if message.get("kind") != "token":
            return
        if orchestrator.stop_asked:  # asked before the host began: it clears its flag then
            stop_answer(orchestrator)
        if on_token is not None:
            on_token(str(message.get("text", "")))

    orchestrator.asking, orchestrator.stop_asked = True, False
    try:
        result = orchestrator.call("ask", {
            "path": str(path), "question": question, "context": context,
            "max_new_tokens": int(max_new_tokens), "start": None, "end": None,
        }, on_event=on_event)
    finally:
        orchestrator.asking = False
    answer = Answer(
        file=str(path), question=question, answer=str(result.get("answer", "")).strip(),
        model=spec.id, precision=the_plan.precision, parts=list(result.get("parts", [])),
        note=result.get("note"), stopped=bool(result.get("stopped")),
        tokens=int(result.get("tokens", 0)), prompt_tokens=int(result.get("prompt_tokens", 0)),
        load_seconds=round(loaded.load_seconds, 3),
        answer_seconds=round(time.perf_counter() - started, 3),
        peak_rss_bytes=orchestrator.watchdog.peak_rss,
        estimate_bytes=the_plan.estimate.total_bytes, skipped=skipped,
        transcript_id=transcript_id,
    )
    if library is not None:
        details = {k: v for k, v in answer.to_dict().items()
                   if k not in ("file", "question", "answer", "model", "precision", "id",
                                "transcript_id")}
        answer.id = library.save_answer(answer.file, answer.model, answer.precision,
                                        answer.question, answer.answer, details, transcript_id)
    return answer


def stop_answer(orchestrator: Orchestrator) -> None:
    """Stop the answer being generated (from any thread): the host ends generation after the
    token it is on and returns what it has, and the model stays loaded."""
    pid = orchestrator.host_pid
    if pid is not None and orchestrator.asking:
        orchestrator.stop_asked = True
        os.kill(pid, signal.SIGUSR1)


def _nothing_runs(tried: list[tuple[str, GrymError]]) -> GrymError:
    """Why no model of the chain could answer: the largest that fits but is not installed
    (with what was refused before it), else the last refusal."""
    refused = [exc for _model, exc in tried if isinstance(exc, MemoryRefusedError)]
    missing = [model for model, exc in tried if isinstance(exc, ModelMissingError)]
    if len(tried) == 1 or not missing:
        return tried[-1][1]
    before = f" Larger models were refused for memory: {refused[0]}" if refused else ""
    return ModelMissingError(
        f"The largest audio-language model that fits, {missing[0]}, is not installed: run "
        f"`grym-desktop models download {missing[0]}` or add its folder with `grym-desktop "
        f"models add FOLDER`.{before}")
