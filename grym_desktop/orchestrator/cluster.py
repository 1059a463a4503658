"""Batches on a Ray cluster: the same job as local workers, with model-host actors on its nodes.

The driver (this process) lists the work and keeps the ledger; each actor is an orchestrator
of its own (one host, one model, its own watchdog) on some node. An actor asks Ray for a
`memory` resource equal to its memory limit (the model's estimate, a host and the actor
itself, plus the governor's reserve), so Ray places no more actors on a node than its memory
allows. Audio goes by path when every node sees the files, else through Ray's object store.
A file whose actor or node is lost is given to another actor; results come back to the
driver, which writes the outputs and the ledger, so a driver killed mid-way leaves a ledger
the same command resumes from.

Ray is an optional extra (`pip install 'grym-desktop[cluster]'`).
"""

from __future__ import annotations

import logging
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from grym_desktop.errors import GrymError, MemoryRefusedError, UsageError
from grym_desktop.memory.limits import format_size
from grym_desktop.memory.state import HOST_BASELINE_BYTES
from grym_desktop.models.catalog import get_spec
from grym_desktop.models.footprint import estimate_for
from grym_desktop.orchestrator.batch import BatchJob, BatchRequest, WorkerPlan
from grym_desktop.orchestrator.runner import Orchestrator

try:
    import ray
    from ray.exceptions import RayError, RayTaskError
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
except ImportError:  # the cluster extra is not installed
    ray = None

log = logging.getLogger(__name__)

# A Ray worker process holding an orchestrator, measured (RSS) with Ray 2.60: 145-170 MiB.
ACTOR_BASELINE_BYTES = 160 * 2**20
# The actor's and its idle host's RSS measured 15-30 % higher in a freshly installed
# environment than in an old one (the kernel maps freshly cached library pages in larger
# pieces); without this margin a fresh node's planner chose int8 where others chose float32.
RSS_MARGIN = 1.3
# Shares of the limit in use below which the planner keeps the first precision and full
# windows (memory/state.py: "elevated" from 0.5, "high" from 0.7).
FIRST_PRECISION_BELOW = 0.5
FULL_WINDOWS_BELOW = 0.7
THREADS_PER_ACTOR = 1  # each actor takes one CPU of its node; its engine one thread
LOST_TRIES = 3  # a file whose actor dies this many times fails instead of going round again
NO_ACTOR_SECONDS = 120.0  # work left, no actor alive and none placed for this long: give up
SAMPLE_FILES = 3  # files each node is asked about to tell whether storage is shared
AUDIO_MODES = ("auto", "path", "copy")


class ClusterError(GrymError):
    """The Ray cluster cannot be reached or cannot run the batch."""


def actor_limit(model: str, precision: str | None) -> int:
    """One actor's memory limit, which is also its Ray `memory` resource: the smallest under
    which the governor plans the model as it would with memory to spare (so a cluster gives
    the transcripts a roomy machine gives). The actor, its host and the model may then fill
    half of it; from half, the planner takes the reduced precision, and from seven tenths of
    an asked-for precision it shortens the decoding windows."""
    spec = get_spec(model)
    chosen = precision or spec.precisions[0]
    used = (estimate_for(spec, chosen).total_bytes + HOST_BASELINE_BYTES
            + ACTOR_BASELINE_BYTES)
    share = FIRST_PRECISION_BELOW if precision is None else FULL_WINDOWS_BELOW
    return math.ceil(used * RSS_MARGIN / share)


def actors_per_node(nodes: list[dict], each: int) -> dict[str, int]:
    """How many actors each alive node holds: its CPUs and its `memory` resource both count."""
    room = {}
    for node in nodes:
        if not node.get("Alive"):
            continue
        resources = node.get("Resources", {})
        room[node["NodeID"]] = min(int(resources.get("CPU", 0) // THREADS_PER_ACTOR),
                                   int(resources.get("memory", 0) // each))
    return room


class TranscribeActor:
    """A model host on a node, driven by an orchestrator with the actor's memory limit."""

    def __init__(self, limit: int, threads: int):
        # Ray's worker script is this process's __main__; a spawned host would run it again and
        # import Ray (about 60 MiB it never uses). The host needs nothing from it.
        sys.modules["__main__"].__dict__.pop("__file__", None)
        self.orchestrator = Orchestrator(limit, cpu_threads=threads)

    def name(self) -> str:
        """Where this actor runs and who it is, for the ledger and the progress."""
        context = ray.get_runtime_context()
        return f"ray node {context.get_node_id()[:8]} actor {context.get_actor_id()[:8]}"

    def transcribe(self, request: BatchRequest, path: str, audio: bytes | None) -> dict:
        """A transcript, or the error's sentence and type; audio is the file's bytes when this
        node cannot see the path."""
        local = path
        if audio is not None:
            handle, local = tempfile.mkstemp(prefix="grym-", suffix=Path(path).suffix)
            with os.fdopen(handle, "wb") as out:
                out.write(audio)
        try:
            transcript = self.orchestrator.run(request.task(local))
        except GrymError as exc:
            return {"error": str(exc).replace(local, path), "kind": type(exc).__name__}
        finally:
            if audio is not None:
                os.unlink(local)
        transcript.file = path
        return {"transcript": transcript}


def _largest_memory(nodes: list[dict]) -> str:
    memory = [n["Resources"].get("memory", 0) for n in nodes]
    return f"at most {format_size(int(max(memory, default=0)))} each"


def _file_facts(paths: list[str]) -> list[tuple[int, int] | None]:
    """(size, mtime in ns) of each path as this node sees it, None where it sees none."""
    facts = []
    for path in paths:
        try:
            info = os.stat(path)
            facts.append((info.st_size, info.st_mtime_ns))
        except OSError:
            facts.append(None)
    return facts


@dataclass
class _Running:
    actor: object
    entry: object
    name: str  # the actor's: "ray node N actor A"
    began: float


class ClusterWorkers:
    """Actors on a Ray cluster at address ("auto": the one running on this machine)."""

    def __init__(self, address: str, audio: str = "auto"):
        if ray is None:
            raise UsageError("Running a batch on a Ray cluster needs Ray: pip install "
                             "'grym-desktop[cluster]'.")
        if audio not in AUDIO_MODES:
            raise UsageError(f"--cluster-audio takes {', '.join(AUDIO_MODES)}, not {audio!r}.")
        self.address = address
        self.audio = audio
        self.by_path = True
        self.storage_reason = ""

    def connect(self) -> None:
        if ray.is_initialized():
            return
        try:
            ray.init(address=self.address, namespace="grym-desktop", log_to_driver=False,
                     logging_level=logging.WARNING, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ClusterError(f"Could not join the Ray cluster at {self.address}: "
                               f"{str(exc).splitlines()[0].rstrip('.')}.") from exc

    def plan(self, requested: str, request: BatchRequest, limit: int,
             todo: list[Path]) -> WorkerPlan:
        """How many actors: as asked, or (auto) as many as the nodes hold, one per file at
        most. MemoryRefusedError, with numbers, when no node holds one or fewer than asked."""
        self.connect()
        files = max(1, len(todo))
        each = actor_limit(request.model, request.precision)
        alive = [n for n in ray.nodes() if n.get("Alive")]
        room = actors_per_node(alive, each)
        holds = sum(room.values())
        nodes = f"{len(room)} node{'s' if len(room) != 1 else ''}"
        if holds == 0:
            raise MemoryRefusedError(
                f"No node of the cluster can hold a host of {request.model}: each actor needs "
                f"about {format_size(each)} of memory and {THREADS_PER_ACTOR} CPU, and the "
                f"{nodes} offer {_largest_memory(alive)}.")
        if requested == "auto":
            count = min(holds, files)
            why = (f"{count} actor{'s' if count != 1 else ''} on {nodes}: their memory and "
                   f"CPUs hold {holds} of about {format_size(each)} each")
            why += f", for {files} file{'s' if files != 1 else ''}." if files < holds else "."
        else:
            try:
                count = int(requested)
            except ValueError:
                raise UsageError(f"--workers takes a number or auto, not {requested!r}.") \
                    from None
            if count < 1:
                raise UsageError("--workers must be at least 1.")
            if count > holds:
                raise MemoryRefusedError(
                    f"{count} actors need about {format_size(count * each)} ({count} × "
                    f"{format_size(each)} for {request.model}, its host and the actor) but the "
                    f"{nodes} of the cluster hold {holds}.")
            why = f"{count} actor{'s' if count != 1 else ''} on {nodes}, as asked."
        self._check_storage([str(p) for p in todo[:SAMPLE_FILES]])
        return WorkerPlan(count, f"{why} {self.storage_reason}", each)

    def _check_storage(self, sample: list[str]) -> None:
        """By path when every node sees the sample files as the driver does, else by copy."""
        if self.audio != "auto":
            self.by_path = self.audio == "path"
            self.storage_reason = ("Audio goes by path, as asked." if self.by_path else
                                   "Audio goes through Ray's object store, as asked.")
            return
        here = _file_facts(sample)
        facts = ray.remote(num_cpus=0)(_file_facts)
        asks = [facts.options(scheduling_strategy=NodeAffinitySchedulingStrategy(
            node["NodeID"], soft=False)).remote(sample)
            for node in ray.nodes() if node.get("Alive")]
        seen = []
        for ask in asks:
            try:
                seen.append(ray.get(ask, timeout=120))
            except RayError as exc:  # a node that died since Ray last listed it gets no actor
                log.warning("a node did not say which files it sees: %s",
                            str(exc).splitlines()[0])
        if not seen:
            raise ClusterError("No node of the Ray cluster answered; is it running?")
        self.by_path = all(there == here for there in seen)
        self.storage_reason = (
            "Every node sees the files, so audio goes by path." if self.by_path else
            "Not every node sees the files, so audio goes through Ray's object store.")

    def run(self, job: BatchJob) -> None:
        """Give each actor a file at a time until every file is done or failed; a file whose
        actor or node was lost goes to another actor."""
        remote = ray.remote(TranscribeActor)
        each = job.plan.limit_each

        def start_actor():
            actor = remote.options(memory=each, num_cpus=THREADS_PER_ACTOR,
                                   max_restarts=0).remote(each, THREADS_PER_ACTOR)
            return actor, actor.name.remote()

        placing = dict(start_actor()[::-1] for _ in range(job.plan.count))  # ref -> actor
        idle: list[tuple[object, str]] = []
        running: dict[object, _Running] = {}
        work = list(reversed(job.todo))
        lost: dict[int, int] = {}
        alone_since: float | None = None
        try:
            while work or running:
                while work and idle:
                    actor, name = idle.pop()
                    entry = work.pop()
                    job.begin(entry, name)
                    audio = None if self.by_path else Path(entry.path).read_bytes()
                    ref = actor.transcribe.remote(job.request, str(entry.path), audio)
                    running[ref] = _Running(actor, entry, name, time.monotonic())
                working = [name for _a, name in idle] + [r.name for r in running.values()]
                job.actors, job.nodes = len(working), len({_node_of(n) for n in working})
                if not running and not idle and not placing:
                    self._give_up(job, work)
                    return
                if not running and not idle:
                    alone_since = alone_since or time.monotonic()
                    if time.monotonic() - alone_since > NO_ACTOR_SECONDS:
                        self._give_up(job, work)
                        return
                else:
                    alone_since = None
                ready, _ = ray.wait([*running, *placing], num_returns=1, timeout=1.0)
                for ref in ready:
                    if ref in placing:
                        actor = placing.pop(ref)
                        try:
                            idle.append((actor, ray.get(ref)))
                        except RayError as exc:
                            log.warning("an actor could not start: %s", exc)
                        continue
                    run = running.pop(ref)
                    try:
                        result = ray.get(ref)
                    except RayTaskError as exc:  # our code failed on the node: say it, go on
                        job.fail(run.entry, _task_sentence(run.entry.path, exc), "GrymError")
                        idle.append((run.actor, run.name))
                        continue
                    except RayError as exc:  # the actor or its node is gone
                        self._lost(job, run, exc, work, lost)
                        ref, actor = start_actor()[::-1]
                        placing[ref] = actor
                        continue
                    idle.append((run.actor, run.name))
                    if "error" in result:
                        job.fail(run.entry, result["error"], result["kind"])
                    else:
                        job.finish(run.entry, result["transcript"], time.monotonic() - run.began)
        finally:
            for actor in [*placing.values(), *(a for a, _n in idle),
                          *(r.actor for r in running.values())]:
                ray.kill(actor)

    @staticmethod
    def _lost(job: BatchJob, run: _Running, exc: Exception, work: list, lost: dict) -> None:
        tries = lost[run.entry.id] = lost.get(run.entry.id, 0) + 1
        log.warning("%s was lost with its %s: %s", run.entry.path, run.name,
                    str(exc).splitlines()[0])
        if tries >= LOST_TRIES:
            job.fail(run.entry, f"{run.entry.path} was lost with its node {tries} times, so it "
                     "was not tried again.", "GrymError")
        else:
            work.append(run.entry)

    @staticmethod
    def _give_up(job: BatchJob, work: list) -> None:
        for entry in work:
            job.fail(entry, f"{entry.path} was not transcribed: no node of the cluster had room "
                     "left for a model host.", "ClusterError")

    def close(self) -> None:
        if ray is not None and ray.is_initialized():
            ray.shutdown()


def _node_of(actor_name: str) -> str:
    """The node part of TranscribeActor.name()."""
    return actor_name.split(" actor ")[0]


def _task_sentence(path: Path, exc: Exception) -> str:
    cause = getattr(exc, "cause", None) or exc
    return f"{path} failed on the cluster: {str(cause).splitlines()[-1].rstrip('.')}."
