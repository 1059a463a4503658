"""`grym-desktop batch --cluster` on a real two-node Ray cluster on this machine (two raylets
with their own CPU and memory resources, from Ray's own test utilities): the same transcripts
as a local batch; a worker node killed mid-job and every file still done exactly once; the
actors placed by their memory resource, never more on a node than it holds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

from grym_desktop.batch.ledger import Ledger  # noqa: E402
from grym_desktop.orchestrator.cluster import actor_limit  # noqa: E402

pytestmark = pytest.mark.integration

CLIPS = Path(__file__).resolve().parents[3] / "shared" / "eval" / "clips"
SPEECH = ["pocketsphinx__cards_001.wav", "speechbrain__ASR_spk2_snt2.wav",
          "speechrecognition__english.wav", "pocketsphinx__cards_003.wav"]
GOOD = 11
EACH = actor_limit("whisper-tiny.en", None)


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """11 distinct short recordings in two folders and one corrupt file."""
    if not CLIPS.is_dir():
        pytest.skip("the eval clips (../shared/eval) are not beside the repository")
    root = tmp_path_factory.mktemp("archive")
    for i in range(GOOD):
        folder = root / f"box{i % 2}"
        folder.mkdir(exist_ok=True)
        subprocess.run(["sox", str(CLIPS / SPEECH[i % len(SPEECH)]), str(folder / f"t{i:02}.wav"),
                        "pad", "0", f"{0.02 * (i + 1):.2f}"], check=True)
    (root / "box1" / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    return root


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A head and a worker node, each with two CPUs and the memory resource of one actor and a
    half: the CPUs would hold two actors a node, the memory holds one."""
    data = tmp_path_factory.mktemp("cluster-data")
    saved = {k: os.environ.get(k) for k in ("GRYM_DATA_DIR", "GRYM_CONFIG_DIR")}
    os.environ["GRYM_DATA_DIR"], os.environ["GRYM_CONFIG_DIR"] = str(data), str(data / "config")
    memory = int(EACH * 1.5)
    c = Cluster(initialize_head=True, connect=False,
                head_node_args={"num_cpus": 2, "memory": memory, "include_dashboard": False})
    worker = c.add_node(num_cpus=2, memory=memory)
    c.wait_for_nodes()
    c.worker = worker
    try:
        yield c
    finally:
        c.shutdown()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def batch(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "grym_desktop", "batch", *args, "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def texts(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*.txt"))}


def actors_by_node(events: list[dict]) -> dict[str, set[str]]:
    """The actors that did files, by node, from the progress's "ray node N actor A" names."""
    by_node: dict[str, set[str]] = {}
    for e in events:
        if e["event"] == "file" and e["worker"]:
            _ray, _n, node, _a, actor = e["worker"].split()
            by_node.setdefault(node, set()).add(actor)
    return by_node


def test_the_cluster_gives_the_local_transcripts_with_one_actor_per_node(archive, cluster,
                                                                          tmp_path):
    local = batch(str(archive), "--output", str(tmp_path / "local"), "--workers", "2")
    local_out, local_err = local.communicate(timeout=600)
    assert local.returncode == 3, local_err

    on_ray = batch(str(archive), "--output", str(tmp_path / "ray"), "--cluster",
                   cluster.address)
    out, err = on_ray.communicate(timeout=600)
    assert on_ray.returncode == 3, err
    seen = [json.loads(line) for line in out.splitlines()]
    start, summary = seen[0], seen[-1]
    # Two CPUs a node would take four actors; the memory resource takes one a node.
    assert start["workers"] == 2, start
    assert "2 actors on 2 nodes" in start["why"] and "audio goes by path" in start["why"]
    assert summary["done"] == GOOD and len(summary["failed"]) == 1
    assert "broken.wav" in summary["failed"][0]["error"]
    assert all(e["nodes"] == 2 for e in seen if e["event"] == "file")

    assert texts(tmp_path / "ray") == texts(tmp_path / "local")
    assert len(texts(tmp_path / "ray")) == GOOD
    # Both nodes worked, each with the one actor its memory holds, for the whole job.
    assert [len(actors) for actors in actors_by_node(seen).values()] == [1, 1]


def test_audio_through_the_object_store_gives_the_same_transcripts(archive, cluster, tmp_path):
    on_ray = batch(str(archive / "box0"), "--output", str(tmp_path / "copied"), "--cluster",
                   cluster.address, "--cluster-audio", "copy", "--workers", "1")
    out, err = on_ray.communicate(timeout=600)
    assert on_ray.returncode == 0, err
    assert "through Ray's object store" in json.loads(out.splitlines()[0])["why"]
    by_path = batch(str(archive / "box0"), "--output", str(tmp_path / "by-path"),
                    "--cluster", cluster.address, "--cluster-audio", "path", "--workers", "1")
    by_path.communicate(timeout=600)
    assert texts(tmp_path / "copied") == texts(tmp_path / "by-path")
    assert len(texts(tmp_path / "copied")) == (GOOD + 1) // 2


def test_more_actors_than_the_nodes_hold_are_refused_with_numbers(archive, cluster, tmp_path):
    refused = subprocess.run(
        [sys.executable, "-m", "grym_desktop", "batch", str(archive), "--output",
         str(tmp_path / "out"), "--cluster", cluster.address, "--workers", "3"],
        capture_output=True, text=True, timeout=300)
    assert refused.returncode == 4, refused.stderr
    assert "3 actors need about" in refused.stderr and "hold 2" in refused.stderr
    assert not list((tmp_path / "out").rglob("*.txt"))


def test_a_worker_node_killed_mid_job_still_ends_with_every_file_done_once(archive, cluster,
                                                                          tmp_path):
    out = tmp_path / "out"
    job = batch(str(archive), "--output", str(out), "--cluster", cluster.address)
    events = []
    for line in job.stdout:
        events.append(json.loads(line))
        if sum(1 for e in events if e["event"] == "file") == 3:
            cluster.remove_node(cluster.worker, allow_graceful=False)  # its raylet and workers
            break
    rest, err = job.communicate(timeout=600)
    events += [json.loads(line) for line in rest.splitlines()]
    assert job.returncode == 3, err
    summary = events[-1]
    assert summary["done"] == GOOD and len(summary["failed"]) == 1, summary
    done = [e["file"] for e in events if e["event"] == "file" and e["status"] == "done"]
    assert sorted(done) == sorted(set(done)) and len(done) == GOOD  # each file once
    assert any(e["actors"] == 1 and e["nodes"] == 1 for e in events if e["event"] == "file")
    # The lost actor's replacement found no room beside the head's actor: the head's one
    # actor did every file after the kill.
    after = [e for e in events if e["event"] == "file" and e["nodes"] == 1]
    assert after and len({e["worker"] for e in after}) == 1
    assert all(len(actors) == 1 for actors in actors_by_node(events).values())
    assert len(texts(out)) == GOOD and not list(out.rglob("*.tmp"))
    ledger = Ledger(out)
    try:
        assert ledger.summary() == {"pending": 0, "running": 0, "done": GOOD, "failed": 1}
    finally:
        ledger.close()
    # The node is back for any test after this one.
    cluster.worker = cluster.add_node(num_cpus=2, memory=int(EACH * 1.5))


def test_a_killed_driver_leaves_a_ledger_the_same_command_resumes(archive, cluster, tmp_path):
    out = tmp_path / "out"
    first = batch(str(archive), "--output", str(out), "--cluster", cluster.address)
    finished = []
    for line in first.stdout:
        event = json.loads(line)
        if event["event"] == "file" and event["status"] == "done":
            finished.append(event["file"])
            if len(finished) == 3:
                first.send_signal(signal.SIGKILL)
                break
    first.wait(timeout=60)
    assert len(finished) == 3, first.stderr.read()
    kept = texts(out)
    assert len(kept) >= 3 and all(kept.values())  # whole outputs only

    second = batch(str(archive), "--output", str(out), "--cluster", cluster.address)
    rest, err = second.communicate(timeout=600)
    assert second.returncode == 3, err
    events = [json.loads(line) for line in rest.splitlines()]
    start = events[0]
    assert start["skipped"] >= 3 and start["skipped"] + start["todo"] == GOOD + 1
    again = [e["file"] for e in events if e["event"] == "file" and e["status"] == "done"]
    assert len(again) == start["todo"] - 1  # all but the broken file, each once
    assert not set(again) & set(finished)  # nothing the first run finished is done again
    assert len(texts(out)) == GOOD and not list(out.rglob("*.tmp"))
