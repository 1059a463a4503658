"""Downloads from the Hugging Face hub into its standard cache, verified file by file.

huggingface_hub does the transfer (and resumes a dropped connection with a Range request);
this module adds progress with rate and time left, cancel, three retries with backoff, the
SHA-256 check of every file and a refusal when a model could never fit in memory. A file that
fails its check is removed; a model is loadable only once every file passed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from grym_desktop.errors import (
    GrymError,
    MemoryRefusedError,
    ModelMissingError,
    TaskCancelledError,
)
from grym_desktop.memory.estimate import Estimate
from grym_desktop.memory.guard import refusal_message
from grym_desktop.memory.limits import format_size
from grym_desktop.models import sources
from grym_desktop.models.catalog import FileSpec, ModelSpec
from grym_desktop.models.overview import budget_state, model_row

# huggingface_hub (with its HTTP client httpx2) is imported inside the functions that use it:
# it takes about 0.15 s, which the window and the commands that never download should not pay.
# Plain HTTP keeps progress, cancel and Range-resume the same for every file (Xet transfers
# run in a native library that none of them reach); the hub reads this when first imported.
os.environ.setdefault("HF_HUB_DISABLE_XET", "1")

RETRIES = 3
BACKOFF_SECONDS = 1.0
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


@dataclass
class Progress:
    model_id: str
    phase: str  # "download" or "verify"
    file: str
    done: int  # bytes of the whole model so far
    total: int
    rate: float  # bytes per second, smoothed
    eta: float | None  # seconds left, None while unknown

    def describe(self) -> str:
        """'12 MiB of 145 MiB · 5.1 MiB/s · 20 s left' for a status line."""
        if self.phase == "verify":
            return f"verifying {self.file}"
        text = f"{format_size(self.done)} of {format_size(self.total)}"
        if self.rate > 0:
            text += f" · {format_size(int(self.rate))}/s"
        if self.eta is not None:
            text += f" · {format_eta(self.eta)} left"
        return text


def format_eta(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class _Meter:
    """Counts bytes across the files of one model and reports rate and time left."""

    def __init__(self, spec: ModelSpec, total: int, on_progress, cancel: threading.Event):
        self.spec, self.total, self.on_progress, self.cancel = spec, total, on_progress, cancel
        self.done = 0
        self.file = ""
        self.rate = 0.0
        self._last = (time.monotonic(), 0)

    def add(self, n: int) -> None:
        if self.cancel.is_set():
            raise TaskCancelledError(f"The download of {self.spec.id} was cancelled.")
        self.done += n
        now = time.monotonic()
        then, before = self._last
        if now - then >= 0.05:
            current = (self.done - before) / (now - then)
            self.rate = current if self.rate == 0 else 0.7 * self.rate + 0.3 * current
            self._last = (now, self.done)
        self.report("download")

    def report(self, phase: str) -> None:
        if self.on_progress is None:
            return
        left = max(0, self.total - self.done)
        eta = left / self.rate if self.rate > 0 and self.total else None
        self.on_progress(Progress(self.spec.id, phase, self.file, self.done,
                                  max(self.total, self.done), self.rate, eta))

    def bar_class(self) -> type:
        """A tqdm stand-in for huggingface_hub that feeds this meter and checks cancel."""
        meter = self

        class Bar:
            def __init__(self, *args, **kwargs):
                pass

            def update(self, n: int = 1) -> None:
                meter.add(n)

            def update_transfer(self, n: int) -> None:
                pass

            def close(self) -> None:
                pass

            def __enter__(self):
                return self

            def __exit__(self, *exc) -> bool:
                return False

        return Bar


def check_fits(spec: ModelSpec, limit_bytes: int) -> None:
    """Refuse (MemoryRefusedError) a model that fits in none of its precisions, with numbers."""
    state = budget_state(limit_bytes)
    row = model_row(spec, state)
    if row.fits_any or not row.estimates:
        return
    estimates = sorted((Estimate(spec.id, p, 0, n, 0) for p, n in row.estimates.items()),
                       key=lambda e: e.total_bytes)
    message = refusal_message(estimates[0], state, estimates[1:])
    raise MemoryRefusedError(message.replace("Refused to load", "Refused to download", 1))


def download_model(
    spec: ModelSpec,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    *,
    limit_bytes: int | None = None,
    endpoint: str | None = None,
    retries: int = RETRIES,
    backoff: float = BACKOFF_SECONDS,
    token: str | bool | None = None,
) -> Path:
    """Make the model installed and verified; returns its folder.

    A bundled model is assembled; a hub model is downloaded into huggingface_hub's cache
    ($HF_HUB_CACHE) from $HF_ENDPOINT (or `endpoint`). With limit_bytes, a model that could
    never fit is refused before any byte is fetched. In offline mode only what is on disk
    counts.
    """
    cancel = cancel or threading.Event()
    if limit_bytes is not None:
        check_fits(spec, limit_bytes)
    st = sources.status(spec)
    if st.installed:
        return sources.resolve(spec)
    hub = sources.source_of(spec, sources.HUB)
    if hub is None or sources.is_offline():
        if sources.is_offline() and hub is not None:
            if st.state == "unverified" and not sources.verify(spec):
                return sources.resolve(spec)
            raise ModelMissingError(
                f"Offline mode is on and {spec.id} is not on this machine; turn offline mode "
                "off to download it."
            )
        return sources.resolve(spec)  # bundled or local: assembles, or says what is missing
    weights = [f.path for f in spec.files if f.path.endswith(PICKLE_SUFFIXES)]
    if spec.engine != "ctranslate2" and weights:
        raise ModelMissingError(
            f"{spec.id} is offered only as pickle weights ({', '.join(weights)}), which this app "
            "never loads; add a safetensors copy with 'add a local model folder' instead."
        )
    _HubDownload(spec, hub, on_progress, cancel, endpoint, retries, backoff, token).run()
    return sources.resolve(spec)


def _check_endpoint(endpoint: str | None) -> None:
    """Refuse a hub address that is not https, unless it is on this machine (a test hub)."""
    if endpoint is None:
        return
    url = urlsplit(endpoint)
    loopback = url.hostname in ("localhost", "127.0.0.1", "::1")
    if url.scheme != "https" and not (url.scheme == "http" and loopback):
        raise ModelMissingError(
            f"The model hub address {endpoint} is not https; models are only downloaded over "
            "https (or from this machine).")


class _HubDownload:
    def __init__(self, spec, source, on_progress, cancel, endpoint, retries, backoff, token):
        self.spec, self.source, self.cancel = spec, source, cancel
        self.endpoint = endpoint or os.environ.get("HF_ENDPOINT") or None
        _check_endpoint(self.endpoint)
        self.retries, self.backoff, self.token = retries, backoff, token
        self.cache_dir = sources.hub_cache_dir()
        self.meter = _Meter(spec, 0, on_progress, cancel)
        self.etags: dict[str, str] = {}

    def run(self) -> None:
        files = list(self.spec.files)
        metadata = self._metadata(files)
        self.meter.total = sum(m.size or 0 for m in metadata.values())
        checked: dict[str, dict[str, Any]] = {}
        for f in files:
            if f.path in metadata:
                checked[f.path] = self._fetch(f, metadata[f.path])
        if self.spec.shards_index and self.spec.shards_index in metadata:
            index = sources.cached_file(self.source, self.spec.shards_index, self.cache_dir)
            shards = sources.shards_from_index(index, {f.path for f in files}) if index else []
            shard_meta = self._metadata(shards)
            self.meter.total += sum(m.size or 0 for m in shard_meta.values())
            for f in shards:
                checked[f.path] = self._fetch(f, shard_meta[f.path])
        commit = next(iter(checked.values()))["commit"]
        for meta in checked.values():
            del meta["commit"]  # every file of one download shares the snapshot
        sources.write_record(self.spec, sources.HUB, commit, checked)

    def _metadata(self, files: list[FileSpec]) -> dict[str, Any]:
        """HEAD each file: size, ETag and commit; optional files the hub lacks are skipped."""
        from huggingface_hub import get_hf_file_metadata, hf_hub_url
        from huggingface_hub.errors import RemoteEntryNotFoundError

        found = {}
        for f in files:
            url = hf_hub_url(self.source["repo"], f.path, revision=self._revision(),
                             endpoint=self.endpoint)
            try:
                meta = self._with_retries(f.path, lambda u=url: get_hf_file_metadata(
                    u, token=self.token, endpoint=self.endpoint))
            except RemoteEntryNotFoundError:
                if f.optional:
                    continue
                raise ModelMissingError(
                    f"The hub has no {f.path} in {self.source['repo']} at revision "
                    f"{self._revision()}; the catalog entry for {self.spec.id} is out of date."
                ) from None
            etag = (meta.etag or "").removeprefix("W/").strip('"').lower()
            if not sources.is_digest(etag):
                # huggingface_hub names the cached file after the ETag: a path there would
                # put the cache entry (and its clean-up) outside the cache.
                raise ModelMissingError(
                    f"The hub answered for {f.path} of {self.source['repo']} with an ETag "
                    "that is not a digest; nothing was downloaded.")
            self.etags[f.path] = etag
            found[f.path] = meta
        return found

    def _fetch(self, f: FileSpec, meta) -> dict[str, Any]:
        """Download one file (or find it cached) and check it; removes it when it fails."""
        from huggingface_hub import hf_hub_download

        self.meter.file = f.path
        start = self.meter.done

        def attempt() -> str:
            self.meter.done = start  # a retry starts the file again
            return hf_hub_download(
                self.source["repo"], f.path, revision=self._revision(),
                cache_dir=str(self.cache_dir), endpoint=self.endpoint, token=self.token,
                tqdm_class=self.meter.bar_class(),
            )

        path = Path(self._with_retries(f.path, attempt))
        self.meter.done = start + (meta.size or path.stat().st_size)
        self.meter.file = f.path
        self.meter.report("verify")
        problem, sha256 = sources.check_file(path, f, self.etags.get(f.path))
        if problem:
            sources.remove_cached(path, self.cache_dir)
            sources.drop_record(self.spec)
            raise ModelMissingError(
                f"Refused {self.spec.id}: {problem}; the file was removed and nothing was "
                "installed."
            )
        return {"size": path.stat().st_size, "sha256": sha256, "etag": self.etags.get(f.path),
                "commit": path.parent.name}

    def _revision(self) -> str:
        return self.source.get("revision") or "main"

    def _with_retries(self, what: str, call: Callable[[], Any]) -> Any:
        for attempt in range(self.retries + 1):
            if self.cancel.is_set():
                raise TaskCancelledError(f"The download of {self.spec.id} was cancelled.")
            try:
                return call()
            except Exception as exc:  # sorted below: only transient failures are retried
                reason = _transient(exc)
                if reason is None:
                    if _missing_on_hub(exc):
                        raise  # the caller knows whether the file is optional
                    raise _explain(self.spec, exc) from exc
                if attempt == self.retries:
                    raise GrymError(
                        f"Could not download {what} of {self.spec.id} after "
                        f"{self.retries + 1} attempts: {reason}."
                    ) from exc
                if self.cancel.wait(self.backoff * 2**attempt):
                    raise TaskCancelledError(
                        f"The download of {self.spec.id} was cancelled."
                    ) from None
        raise AssertionError("unreachable")


def _transient(exc: Exception) -> str | None:
    """A short reason when exc is worth retrying (network trouble, server errors)."""
    import httpx2
    from huggingface_hub.errors import (
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if isinstance(exc, (GrymError, RepositoryNotFoundError, RevisionNotFoundError,
                        RemoteEntryNotFoundError)):
        return None
    if isinstance(exc, HfHubHTTPError):
        code = exc.response.status_code if exc.response is not None else 0
        return f"the server answered {code}" if code >= 500 or code in (408, 429) else None
    if isinstance(exc, httpx2.TransportError):
        return "the connection failed"
    if isinstance(exc, LocalEntryNotFoundError):
        return "the hub could not be reached"
    if isinstance(exc, OSError) and "Consistency check failed" in str(exc):
        return "the transfer ended short"
    return None


def _missing_on_hub(exc: Exception) -> bool:
    from huggingface_hub.errors import RemoteEntryNotFoundError

    return isinstance(exc, RemoteEntryNotFoundError)


def _explain(spec: ModelSpec, exc: Exception) -> Exception:
    """A one-sentence error for a person instead of a library exception."""
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

    if isinstance(exc, GrymError):
        return exc
    repo = sources.source_of(spec, sources.HUB)["repo"]
    if isinstance(exc, GatedRepoError):
        return GrymError(f"{repo} is gated: accept its terms on the hub and log in "
                         f"(`hf auth login`) before downloading {spec.id}.")
    if isinstance(exc, RepositoryNotFoundError):
        return ModelMissingError(f"The hub has no repository {repo} (or it is private).")
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        return GrymError(f"The hub refused the download of {spec.id} "
                         f"(HTTP {exc.response.status_code}).")
    return GrymError(f"The download of {spec.id} failed: {exc}.")
