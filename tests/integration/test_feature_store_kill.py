"""A process killed while adding clips leaves the feature store whole: no half clips, no orphans."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np

from grym_desktop.features.store import FeatureStore

WINDOWS, DIM = 40, 64

_WRITER = textwrap.dedent(
    f"""
    import sys
    from pathlib import Path
    import numpy as np
    from grym_desktop.features.store import FeatureStore
    from grym_desktop.features.windows import FeatureWindow

    store = FeatureStore(Path(sys.argv[1]))
    run = int(sys.argv[2])
    windows = [FeatureWindow(float(i), i + 2.0, "fixed") for i in range({WINDOWS})]
    rng = np.random.default_rng(run)
    i = 0
    while True:
        vectors = rng.standard_normal(({WINDOWS}, {DIM})).astype(np.float32)
        clip = store.add_clip(f"/audio/run{{run}}_{{i}}.wav", f"{{run:08x}}{{i:056x}}",
                              {WINDOWS} + 1.0, "m", windows, vectors)
        if i % 3 == 0:  # re-add an earlier clip: its vectors are replaced in place
            store.add_clip(f"/audio/run{{run}}_0.wav", f"{{run:08x}}{{0:056x}}", {WINDOWS} + 1.0,
                           "m", windows, vectors)
        if i % 5 == 4:
            store.delete_clip(clip)
        print(i, flush=True)
        i += 1
    """
)


def test_killed_writer_leaves_a_consistent_store(tmp_path):
    path = tmp_path / "features.sqlite3"
    rng = random.Random(0)
    for run in range(5):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(run)],
                                stdout=subprocess.PIPE, text=True)
        try:
            wanted = rng.randint(3, 15)
            for line in proc.stdout:
                if int(line) >= wanted:
                    break
            time.sleep(rng.uniform(0, 0.05))  # somewhere inside the next clip's transaction
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait()
        assert proc.returncode == -signal.SIGKILL

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    orphans = db.execute(
        "SELECT (SELECT COUNT(*) FROM vectors v LEFT JOIN windows w ON w.id = v.window_id"
        "        WHERE w.id IS NULL),"
        " (SELECT COUNT(*) FROM windows w LEFT JOIN clips c ON c.id = w.clip_id"
        "  WHERE c.id IS NULL),"
        " (SELECT COUNT(*) FROM windows w LEFT JOIN vectors v ON v.window_id = w.id"
        "  WHERE v.id IS NULL),"
        " (SELECT COUNT(*) FROM clips c LEFT JOIN windows w ON w.clip_id = c.id"
        "  WHERE w.id IS NULL)").fetchone()
    assert orphans == (0, 0, 0, 0)
    per_clip = db.execute(
        "SELECT c.id, COUNT(DISTINCT w.id), COUNT(v.id) FROM clips c"
        " JOIN windows w ON w.clip_id = c.id JOIN vectors v ON v.window_id = w.id"
        " GROUP BY c.id").fetchall()
    assert len(per_clip) >= 5 * 3
    assert all(n_windows == n_vectors == WINDOWS for _, n_windows, n_vectors in per_clip)
    count = db.execute("SELECT count FROM models WHERE model_id = 'm'").fetchone()[0]
    assert count == db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
    db.close()

    store = FeatureStore(path)  # and the store opens and answers
    clip = store.clips()[-1]
    _, _, vectors = store.windows(clip.id, "m")
    (top,) = store.similar("m", vectors[3], k=1)
    assert top.start == 3.0 and top.score > 0.99  # (a re-added clip may share its vectors)
    assert np.isfinite(vectors).all()
    store.close()
