"""The approximate nearest-neighbour index of one model's vectors (faiss IVF-Flat, cosine).

Used once a model has SWITCH_POINT vectors or more (below that exact numpy search is as
quick). Kept in the store's folder as feature_index/<model>.faiss with a JSON sidecar that
records which store and store generation it was built from and the file's SHA-256: an index
file is never trusted, one that is missing, altered, unreadable or of another store is built
again. faiss was chosen over usearch: on a million clustered 384-dim vectors (2 cores) IVF-Flat
(2,000 lists, 32 probed) built in 30 s with recall@10 0.9995 and 1.4 ms a query; usearch's HNSW
(connectivity 16, expansion 64/128) took 317 s for recall@10 0.91 at 0.85 ms, and 211 s for
200,000 vectors at expansion 128. IVF also adds and removes vectors in place, which keeps the
index current as clips come and go.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grym_desktop.paths import file_digest, write_atomically

SWITCH_POINT = 15_000  # bench/feature_search_bench.py: exact 0.5 ms at 10k vectors, 5 ms at 15k
INDEX_DIR = "feature_index"
FORMAT = 1
# Lists searched per query: at least NPROBE and enough to scan MIN_SCAN vectors, so small
# indexes are searched nearly whole (recall@10 0.96 at 20,000 with 32 of 283 lists alone).
NPROBE = 32
MIN_SCAN = 20_000
UPDATE_SHARE = 0.2  # a stale index is updated in place while at most this share changed
TRAIN_PER_LIST = 40  # training vectors per list (faiss asks for at least 39)
_log = logging.getLogger(__name__)


def _faiss():
    """faiss, imported when an index is first needed: 0.2 s and 30 MiB the window does not
    spend at start-up for a library below the switch point."""
    import faiss

    return faiss


@dataclass(frozen=True)
class Stamp:
    """What an index was built from: the store, the model and the store's generation of it."""

    store_id: str
    model_id: str
    dim: int
    generation: int


def index_files(folder: Path, model_id: str) -> tuple[Path, Path]:
    """(index file, sidecar) of a model: its id made safe for a file name, plus a hash of it."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id).strip("._")[:60] or "model"
    tag = hashlib.sha256(model_id.encode("utf-8")).hexdigest()[:8]
    return folder / f"{safe}-{tag}.faiss", folder / f"{safe}-{tag}.json"


def lists_for(count: int) -> int:
    """Inverted lists for count vectors: about 2 * sqrt(count), each trainable."""
    return max(1, min(count // TRAIN_PER_LIST, round(2 * math.sqrt(count)), 8192))


def probes_for(lists: int, count: int) -> int:
    """Lists to search: NPROBE, or more to scan MIN_SCAN vectors; at most all of them."""
    return min(lists, max(NPROBE, math.ceil(lists * MIN_SCAN / max(count, 1))))


class VectorIndex:
    """Unit vectors under int64 keys (the store's vector ids); search by inner product."""

    def __init__(self, stamp: Stamp, index: Any, trained_for: int):
        self.stamp = stamp
        self.trained_for = trained_for  # vectors when its lists were trained
        self._index = index

    @classmethod
    def build(cls, stamp: Stamp, keys: np.ndarray, vectors: np.ndarray) -> VectorIndex:
        """Train the lists on a sample of the (unit, float32) vectors and add them all."""
        count = len(keys)
        lists = lists_for(count)
        faiss = _faiss()
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(stamp.dim), stamp.dim, lists,
                                   faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = 10  # the lists only route the search: rough centres are enough
        index.cp.min_points_per_centroid = 1  # a small index trains on what there is
        sample = np.random.default_rng(0).choice(
            count, min(count, TRAIN_PER_LIST * lists), replace=False) if count else []
        index.train(np.ascontiguousarray(vectors[np.sort(sample)]))
        built = cls(stamp, index, count)
        built.add(keys, vectors)
        return built

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        self._index.add_with_ids(np.ascontiguousarray(vectors, np.float32),
                                 np.ascontiguousarray(keys, np.int64))

    def remove(self, keys: np.ndarray) -> None:
        if len(keys):
            self._index.remove_ids(np.ascontiguousarray(keys, np.int64))

    def keys(self) -> np.ndarray:
        """Every key held, sorted."""
        lists = self._index.invlists
        parts = [_faiss().rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
                 for i in range(lists.nlist) if lists.list_size(i)]
        return np.sort(np.concatenate(parts)) if parts else np.empty(0, np.int64)

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(keys, cosine scores) of the k nearest held vectors to a unit vector, best first."""
        k = min(int(k), len(self))
        if k <= 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        self._index.nprobe = probes_for(self._index.nlist, len(self))
        scores, keys = self._index.search(np.ascontiguousarray(vector, np.float32)[None], k)
        found = keys[0] >= 0
        return keys[0][found], scores[0][found]

    def outgrown(self, count: int) -> bool:
        """Whether count vectors are too many for lists trained on trained_for."""
        return lists_for(count) > 2 * lists_for(self.trained_for)

    def save(self, folder: Path) -> None:
        """Write the index and its sidecar atomically; a failure only costs a rebuild later."""
        path, sidecar = index_files(folder, self.stamp.model_id)
        tmp = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            _faiss().write_index(self._index, str(tmp))
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            info = {"format": FORMAT, "faiss": _faiss().__version__, **asdict(self.stamp),
                    "count": len(self), "trained_for": self.trained_for,
                    "bytes": tmp.stat().st_size, "sha256": file_digest(tmp)}
            os.replace(tmp, path)
            write_atomically(sidecar, json.dumps(info, indent=1))
        except (OSError, RuntimeError) as exc:
            _log.warning("could not save the feature index %s: %s", path, exc)
            with contextlib.suppress(OSError):
                tmp.unlink()

    @classmethod
    def load(cls, folder: Path, model_id: str, expected: Stamp) -> VectorIndex | None:
        """The saved index of this store and model (of any generation), or None when it is
        missing, unreadable, altered or not this store's."""
        path, sidecar = index_files(folder, model_id)
        try:
            info = json.loads(sidecar.read_text(encoding="utf-8"))
            stamp = Stamp(info["store_id"], info["model_id"], int(info["dim"]),
                          int(info["generation"]))
            if (info["format"] != FORMAT or stamp.store_id != expected.store_id
                    or stamp.model_id != model_id or stamp.dim != expected.dim):
                return None
            if path.stat().st_size != info["bytes"] or file_digest(path) != info["sha256"]:
                return None
            index = _faiss().read_index(str(path))
            if (not isinstance(index, _faiss().IndexIVFFlat) or index.d != stamp.dim
                    or index.ntotal != info["count"]):
                return None
            return cls(stamp, index, int(info["trained_for"]))
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            if not isinstance(exc, FileNotFoundError):
                _log.warning("rebuilding the feature index %s: %s", path, exc)
            return None
