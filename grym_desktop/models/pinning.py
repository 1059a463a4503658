"""Pin the catalog's hub models: each revision becomes the commit hash it names now, and each
file gets its exact size and SHA-256, so a download is checked against the catalog instead of
the hub's own word. A maintainer runs it where the hub can be reached:

    python -m grym_desktop.models.pinning resources/catalog.json [ID ...] [--endpoint URL]

Large files take their SHA-256 from the hub's ETag (the LFS object id); small files kept in
git have a SHA-1 ETag, so they are downloaded and hashed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from grym_desktop.paths import file_digest, write_atomically

os.environ.setdefault("HF_HUB_DISABLE_XET", "1")  # plain HTTP, as models/download.py uses
_SHA256 = re.compile(r"[0-9a-f]{64}")
_COMMIT = re.compile(r"[0-9a-f]{40}")


def pin_model(entry: dict[str, Any], endpoint: str | None = None) -> list[str]:
    """Pin one catalog entry's hub source and files in place; says what changed.

    Every file must come from the same commit (a push between two requests would mix them).
    """
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import EntryNotFoundError

    source = next((s for s in entry.get("sources", []) if s.get("type") == "hf_hub"), None)
    if source is None:
        return []
    revision = source.get("revision") or "main"
    commits, changes = set(), []
    for f in entry.get("files", []):
        url = hf_hub_url(source["repo"], f["path"], revision=revision, endpoint=endpoint)
        try:
            meta = get_hf_file_metadata(url, endpoint=endpoint)
        except EntryNotFoundError:
            if f.get("optional"):
                continue
            raise
        commits.add(meta.commit_hash)
        etag = (meta.etag or "").strip('"')
        sha256 = etag if _SHA256.fullmatch(etag) else _downloaded_sha256(
            source["repo"], f["path"], meta.commit_hash, endpoint)
        if f.get("sha256") != sha256 or f.get("size") != meta.size:
            changes.append(f"{entry['id']}: {f['path']} {meta.size} bytes, SHA-256 {sha256[:12]}…")
        f["size"], f["sha256"] = meta.size, sha256
        f.pop("approx_size", None)
    if len(commits) != 1 or not _COMMIT.fullmatch(next(iter(commits)) or ""):
        raise ValueError(f"{entry['id']}: the hub answered from commits {sorted(map(str, commits))}"
                         "; run again")
    commit = commits.pop()
    if source.get("revision") != commit:
        changes.append(f"{entry['id']}: revision {revision} is commit {commit}")
        source["revision"] = commit
    return changes


def _downloaded_sha256(repo: str, path: str, commit: str, endpoint: str | None) -> str:
    from huggingface_hub import hf_hub_download

    with tempfile.TemporaryDirectory() as cache:
        local = hf_hub_download(repo, path, revision=commit, cache_dir=cache, endpoint=endpoint)
        return file_digest(Path(local))


def format_catalog(catalog: Any, indent: int = 0) -> str:
    """The catalog as JSON in its file's layout: an object or list whose members are all plain
    values (or lists of them) on one line, everything else one member per line."""
    if not isinstance(catalog, dict | list) or _flat(catalog):
        return json.dumps(catalog, ensure_ascii=False)
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(catalog, dict):
        members = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {format_catalog(v, indent + 2)}"
                   for k, v in catalog.items()]
        return "{\n" + ",\n".join(members) + f"\n{pad}}}"
    members = [f"{inner}{format_catalog(v, indent + 2)}" for v in catalog]
    return "[\n" + ",\n".join(members) + f"\n{pad}]"


def _flat(value: dict | list) -> bool:
    members = value.values() if isinstance(value, dict) else value
    return all(not isinstance(m, dict | list) or (isinstance(m, list) and not any(
        isinstance(x, dict | list) for x in m)) for m in members)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalog", type=Path)
    parser.add_argument("ids", nargs="*", help="models to pin (default: every hub model)")
    parser.add_argument("--endpoint", help="the hub's address (default: $HF_ENDPOINT or the hub)")
    args = parser.parse_args(argv)
    catalog = json.loads(args.catalog.read_text())
    for entry in catalog["models"]:
        if args.ids and entry["id"] not in args.ids:
            continue
        for change in pin_model(entry, args.endpoint):
            print(change)
    write_atomically(args.catalog, format_catalog(catalog) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
