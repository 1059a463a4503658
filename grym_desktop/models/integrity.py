"""Before each load, a model's files are checked against the SHA-256 they were verified with:
a file changed on disk since (damaged, or replaced) is refused with one sentence.

The digests come from the model's verification record (downloaded, assembled, converted) or
else from the catalog (the bundled model, a folder the user added). Hashing a large model
takes seconds, so the size and modification time each file had when it last matched are kept
beside the record; a file with the same size and time is not hashed again.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from grym_desktop.errors import ModelMissingError
from grym_desktop.models import sources
from grym_desktop.models.catalog import ModelSpec, models_dir
from grym_desktop.paths import file_digest, write_atomically

_SHA256 = re.compile(r"[0-9a-f]{64}")


def checked_folder(spec: ModelSpec) -> Path:
    """The model's folder (made now if it is made on first use), its files checked unchanged."""
    folder = sources.resolve(spec)
    check_unchanged(spec, folder)
    return folder


def expected_digests(spec: ModelSpec) -> dict[str, str]:
    """File name -> the SHA-256 the model's files were verified with."""
    record = sources.read_record(spec)
    if record is not None:
        files = record.get("files")
        return {name: meta["sha256"] for name, meta in (files or {}).items()
                if isinstance(meta, dict) and _SHA256.fullmatch(str(meta.get("sha256")))}
    return {f.path: f.sha256 for f in spec.files if f.sha256}


def check_unchanged(spec: ModelSpec, folder: Path) -> None:
    """Raise ModelMissingError when a file of the model no longer has its verified SHA-256."""
    stamps_path = models_dir() / "verified" / "stamps" / f"{spec.id}.json"
    try:
        stamps = json.loads(stamps_path.read_text())
    except (OSError, ValueError):
        stamps = {}
    matched = {}
    for name, digest in expected_digests(spec).items():
        path = folder / name
        if not path.is_file():
            continue  # resolving the folder already refused a model missing a needed file
        stat = path.stat()
        stamp = [stat.st_size, stat.st_mtime_ns, digest]
        if not isinstance(stamps, dict) or stamps.get(name) != stamp:
            actual = file_digest(path)
            if actual != digest:
                raise ModelMissingError(
                    f"The model {spec.id} was changed on disk after it was verified: {name} "
                    f"has SHA-256 {actual[:12]}…, not {digest[:12]}…; reinstall it.")
        matched[name] = stamp
    if matched != stamps:
        write_atomically(stamps_path, json.dumps(matched))
