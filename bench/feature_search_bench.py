"""Feature memory search at scale: exact top-10 at 100,000 vectors, the index at a million.

Synthetic but embedding-like data: 384-dim vectors drawn around 2,000 gaussian centres (noise
0.3-0.8 of a centre's scale per vector), stored through FeatureStore.add_clip as clips of
1,000 windows in a temporary folder; queries are new vectors of the same distribution.

1. exact: FeatureStore.similar(k=10) over --exact-count vectors (the numpy path).
   Target: median < 20 ms.
2. index: the same over --ann-count vectors through the faiss IVF-Flat index (its build
   time and memory measured on the first search), recall@10 against exact top-10 computed
   from the same vectors, the exact path at that size side by side, and reopening the store
   (the saved index checked and read). Target: median < 50 ms, recall@10 >= 0.95.
3. switch point: the kernels alone (numpy matrix-vector top-k; the index search) at growing
   counts; the switch point is the smallest count where exact's median exceeds the index's.

    .venv/bin/python bench/feature_search_bench.py [--exact-count 100000] [--ann-count 1000000]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
from common import emit

from grym_desktop.features import index as ann
from grym_desktop.features.store import FeatureStore, _normalised
from grym_desktop.features.windows import FeatureWindow

DIM = 384
CENTRES = 2000
PER_CLIP = 1000
MODEL = "bench-384"
SIZES = (1_000, 2_000, 5_000, 10_000, 15_000, 20_000, 50_000, 100_000, 200_000)


class Data:
    """Clustered vectors: the same seed gives the same centres, rows and queries."""

    def __init__(self, seed: int):
        self.centres = np.random.default_rng(seed).standard_normal((CENTRES, DIM),
                                                                   dtype=np.float32)
        self.seed = seed

    def rows(self, n: int, stream: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, stream])
        scale = rng.uniform(0.3, 0.8, (n, 1)).astype(np.float32)
        return (self.centres[rng.integers(0, CENTRES, n)]
                + scale * rng.standard_normal((n, DIM), dtype=np.float32))


WINDOWS = [FeatureWindow(float(i), float(i) + 2.0, "fixed") for i in range(PER_CLIP)]


def fill(store: FeatureStore, data: Data, count: int) -> tuple[np.ndarray, dict]:
    """Add count vectors as clips of PER_CLIP windows; (all rows in insertion order, figures)."""
    matrix = np.empty((count, DIM), np.float32)
    started = time.perf_counter()
    for c in range(count // PER_CLIP):
        rows = data.rows(PER_CLIP, c)
        matrix[c * PER_CLIP:(c + 1) * PER_CLIP] = rows
        store.add_clip(f"/audio/clip_{c:05d}.wav", f"{c:064x}", PER_CLIP + 1.0, MODEL,
                       WINDOWS, rows)
    seconds = time.perf_counter() - started
    return matrix, {"vectors": count, "clips": count // PER_CLIP,
                    "insert_seconds": round(seconds, 1),
                    "vectors_per_second": round(count / seconds),
                    "database_mib": round(store.path.stat().st_size / 2**20)}


def timed(fn, queries) -> tuple[list, float]:
    out, times = [], []
    for q in queries:
        started = time.perf_counter()
        out.append(fn(q))
        times.append((time.perf_counter() - started) * 1000)
    return out, statistics.median(times)


def exact_top(unit: np.ndarray, queries: np.ndarray, k: int = 10) -> list[set[int]]:
    """Row numbers of the true top-k of each query (cosine), by blocks of queries."""
    out = []
    for first in range(0, len(queries), 50):
        scores = _normalised(queries[first:first + 50]) @ unit.T
        out += [set(np.argpartition(-row, k)[:k].tolist()) for row in scores]
    return out


def rss_mib() -> float:
    return psutil.Process().memory_info().rss / 2**20


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def window_rows(store: FeatureStore) -> dict[int, int]:
    """window id -> row number in insertion order (clips and windows are numbered in order)."""
    ids = store._conn.execute("SELECT window_id FROM vectors ORDER BY id").fetchall()
    return {w: i for i, (w,) in enumerate(ids)}


def bench_exact(folder: Path, data: Data, count: int, queries: np.ndarray) -> dict:
    store = FeatureStore(folder / "exact" / "features.sqlite3")
    store.switch_point = count + 1
    _, built = fill(store, data, count)
    store.similar(MODEL, queries[0])  # reads the vectors into the cache
    results, median = timed(lambda q: store.similar(MODEL, q, k=10), queries)
    assert all(len(r) == 10 for r in results)
    store.close()
    return {**built, "queries": len(queries), "median_ms": round(median, 2),
            "target": "median < 20 ms", "met": median < 20}


def bench_index(folder: Path, data: Data, count: int, queries: np.ndarray) -> dict:
    path = folder / "ann" / "features.sqlite3"
    store = FeatureStore(path)
    matrix, built = fill(store, data, count)
    rows = window_rows(store)
    unit = _normalised(matrix)
    del matrix
    truth = exact_top(unit, queries)

    before, peak_before = rss_mib(), peak_mib()
    started = time.perf_counter()
    store.similar(MODEL, queries[0], k=10)  # builds and saves the index
    build_seconds = time.perf_counter() - started
    after = rss_mib()
    files = list((folder / "ann" / ann.INDEX_DIR).iterdir())
    results, ann_median = timed(lambda q: store.similar(MODEL, q, k=10), queries)
    recall = statistics.mean(len({rows[m.window_id] for m in r} & t) / 10
                             for r, t in zip(results, truth, strict=True))

    store.close()
    started = time.perf_counter()
    store = FeatureStore(path)
    store.similar(MODEL, queries[0], k=10)
    reload_seconds = time.perf_counter() - started

    store.switch_point = count + 1  # the exact path at the same size, side by side
    store.similar(MODEL, queries[0], k=10)
    exact_results, exact_median = timed(lambda q: store.similar(MODEL, q, k=10), queries[:50])
    exact_recall = statistics.mean(len({rows[m.window_id] for m in r} & t) / 10
                                   for r, t in zip(exact_results, truth[:50], strict=True))
    store.close()
    return {
        **built, "queries": len(queries),
        "index": {"library": f"faiss {ann.faiss.__version__} IVF-Flat, inner product on "
                             "unit vectors", "lists": ann.lists_for(count),
                  "nprobe": ann.probes_for(ann.lists_for(count), count)},
        "build_seconds": round(build_seconds, 1),
        "build_rss_growth_mib": round(after - before),
        "build_peak_rss_growth_mib": round(max(0.0, peak_mib() - peak_before)),
        "index_file_mib": round(sum(f.stat().st_size for f in files) / 2**20),
        "reopen_and_first_search_seconds": round(reload_seconds, 1),
        "median_ms": round(ann_median, 2), "recall_at_10": round(recall, 4),
        "target": "median < 50 ms, recall@10 >= 0.95",
        "met": ann_median < 50 and recall >= 0.95,
        "exact_same_size": {"median_ms": round(exact_median, 2),
                            "recall_at_10": round(exact_recall, 4)},
        "exact_over_index_time_ratio": round(exact_median / ann_median, 1),
        "index_over_exact_recall_ratio": round(recall / exact_recall, 4),
    }


def bench_switch(data: Data, queries: np.ndarray) -> dict:
    """Exact kernel vs index kernel at growing counts; the first count where exact is slower."""
    unit = _normalised(data.rows(max(SIZES), 10_000))
    units = _normalised(queries)
    rows = []
    switch = None
    for n in SIZES:
        part = unit[:n]

        def exact(q, part=part):
            scores = part @ q
            top = np.argpartition(-scores, 10)[:10]
            return top[np.argsort(-scores[top])]

        index = ann.VectorIndex.build(ann.Stamp("bench", MODEL, DIM, 0),
                                      np.arange(n, dtype=np.int64), part)
        _, exact_ms = timed(exact, units)
        _, index_ms = timed(lambda q, index=index: index.search(q, 10), units)
        rows.append({"vectors": n, "exact_ms": round(exact_ms, 3),
                     "index_ms": round(index_ms, 3),
                     "exact_over_index": round(exact_ms / index_ms, 2)})
        if switch is None and exact_ms > index_ms:
            switch = n
    return {"by_count": rows, "measured_switch_point": switch,
            "switch_point_in_code": ann.SWITCH_POINT,
            "rule": "smallest count where exact numpy top-10 median exceeds the index's"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exact-count", type=int, default=100_000)
    parser.add_argument("--ann-count", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", nargs="*", default=[], choices=["exact", "index", "switch"])
    args = parser.parse_args()
    data = Data(args.seed)
    queries = data.rows(args.queries, 99_999)
    report: dict = {"dim": DIM, "centres": CENTRES, "cores": os.cpu_count(),
                    "load_average": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory(prefix="feature-bench-") as tmp:
        folder = Path(tmp)
        if "exact" not in args.skip:
            report["exact_100k"] = bench_exact(folder, data, args.exact_count, queries)
        if "index" not in args.skip:
            report["index_1m"] = bench_index(folder, data, args.ann_count, queries)
        if "switch" not in args.skip:
            report["switch"] = bench_switch(data, queries[:100])
    emit(report)


if __name__ == "__main__":
    main()
