"""Fuzzing the decode layer: mutated WAV, FLAC, Ogg, MP3 and M4A files, each decoded in its own
process under a time and memory cap. Every file must decode or raise the typed input error;
none may crash the process, hang or pass the memory cap.

The mutations are deterministic (a seeded random.Random): byte flips, truncations, header
bytes set to extremes, size fields set to huge values, and duplicated stretches of the file.

    .venv/bin/python bench/fuzz_decode.py [--count 300] [--seed 0] [--cli] [--keep DIR]

--cli also runs `grym-desktop transcribe` once over all the mutants (it goes on per file): it
must end with each file transcribed or named in one error line, and no traceback.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [ROOT / "tests" / "data" / name for name in (
    "hello_world.wav", "numbers_44k_stereo.flac", "sentence.ogg", "sentence.mp3",
    "sentence.m4a")]
TIME_LIMIT = 30.0  # seconds one decode may take
MEMORY_LIMIT = 2**30  # peak RSS one decode may reach
# Where each format keeps a size or count a hostile file can lie about: the 4 bytes after
# these markers (RIFF/WAV chunks) or before them (MP4 boxes).
_SIZE_AFTER = (b"RIFF", b"fmt ", b"data", b"LIST")
_SIZE_BEFORE = (b"ftyp", b"moov", b"mdat", b"trak", b"mdia", b"minf", b"stbl", b"stsz",
                b"stco", b"stts", b"stsc", b"mp4a", b"esds")
_EXTREMES = (b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\x80\x00\x00\x00",
             b"\x01\x00\x00\x00", b"\x00\x00\x00\x01")

# Run in the child: decode the file as the app does (probe, then every chunk) and report
# the outcome and the child's own peak RSS on stdout as one JSON line.
_DECODE = """
import json, resource, sys
from grym_desktop.audio.decode import iter_chunks, probe
from grym_desktop.errors import InputError
try:
    info = probe(sys.argv[1])
    samples = sum(len(c) for c in iter_chunks(sys.argv[1]))
    report = {"outcome": "decoded", "samples": samples}
except InputError as exc:
    report = {"outcome": "typed error", "error": type(exc).__name__, "message": str(exc)}
# VmHWM belongs to this program's own memory; ru_maxrss also keeps the peak of the process
# it was forked from (Linux carries it across exec), which a large test runner would inflate.
try:
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
report["peak_rss"] = peak * 1024
print(json.dumps(report))
"""


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 32)):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def extreme_header_bytes(data: bytes, rng: random.Random) -> bytes:
    """Up to 4 of the first 128 bytes (where headers live) set to 0x00, 0xff, 0x7f or 0x80."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(min(128, len(out)))
        out[i] = rng.choice((0x00, 0xFF, 0x7F, 0x80))
    return bytes(out)


def huge_size_field(data: bytes, rng: random.Random) -> bytes:
    """A size field of the container (RIFF/WAV chunk, MP4 box, FLAC metadata block, Ogg
    granule position, ID3 tag) set to an extreme value."""
    places = [m.end() for marker in _SIZE_AFTER for m in re.finditer(re.escape(marker), data)]
    places += [m.start() - 4 for marker in _SIZE_BEFORE
               for m in re.finditer(re.escape(marker), data) if m.start() >= 4]
    places += [m.start() + 6 for m in re.finditer(b"OggS", data)]  # granule position
    if data.startswith(b"fLaC"):
        places += [5, 18]  # first block's length; STREAMINFO rate/channels/total samples
    if data.startswith(b"ID3"):
        places += [6]
    if not places:
        return extreme_header_bytes(data, rng)
    out = bytearray(data)
    i = rng.choice(places)
    out[i : i + 4] = rng.choice(_EXTREMES)
    return bytes(out[: len(data)])


def duplicate_stretch(data: bytes, rng: random.Random) -> bytes:
    """A stretch of 16 bytes to 4 KB (a chunk, a box, a page) repeated in place, many times."""
    start = rng.randrange(len(data))
    end = min(len(data), start + rng.randint(16, 4096))
    return data[:end] + data[start:end] * rng.randint(1, 64) + data[end:]


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "flip_bytes": flip_bytes,
    "truncate": truncate,
    "extreme_header_bytes": extreme_header_bytes,
    "huge_size_field": huge_size_field,
    "duplicate_stretch": duplicate_stretch,
}


def mutants(count: int, seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of `count` mutated files; each run of len(SEEDS) * len(MUTATIONS)
    files tries every mutation on every seed once."""
    rng = random.Random(seed)
    seeds = [(p, p.read_bytes()) for p in SEEDS]
    names = list(MUTATIONS)
    for n in range(count):
        pair = n % (len(seeds) * len(names))
        path, data = seeds[pair // len(names)]
        kind = names[pair % len(names)]
        yield f"{n:04d}_{kind}_{path.stem}{path.suffix}", MUTATIONS[kind](data, rng)


@dataclass
class Outcome:
    file: str
    outcome: str  # decoded, typed error, crash, hang, memory
    seconds: float
    peak_rss: int
    detail: str = ""


def _cap_memory() -> None:
    # Address space well above the RSS cap, so a runaway allocation fails in the child
    # instead of taking the machine; the RSS cap itself is checked from rusage.
    resource.setrlimit(resource.RLIMIT_AS, (4 * MEMORY_LIMIT, 4 * MEMORY_LIMIT))


def decode_in_child(path: Path) -> Outcome:
    """Decode one file in a fresh process under the time and memory caps."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", _DECODE, str(path)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, preexec_fn=_cap_memory)
    try:
        stdout, stderr = child.communicate(timeout=TIME_LIMIT)
        hung = False
    except subprocess.TimeoutExpired:
        child.kill()
        stdout, stderr = child.communicate()
        hung = True
    seconds = time.perf_counter() - started
    if hung:
        return Outcome(path.name, "hang", seconds, 0)
    last = stdout.strip().splitlines()[-1:] or [""]
    try:
        report = json.loads(last[0])
    except ValueError:
        report = None
    if child.returncode != 0 or report is None:
        how = (f"signal {signal.Signals(-child.returncode).name}" if child.returncode < 0
               else f"exit {child.returncode}")
        tail = stderr.strip().splitlines()[-1:] or [""]
        return Outcome(path.name, "crash", seconds, 0, f"{how}: {tail[0][:200]}")
    if "error" in report:
        detail = f"{report['error']}: {report['message'][:200]}"
    else:
        detail = f"{report['samples']} samples"
    outcome = "memory" if report["peak_rss"] > MEMORY_LIMIT else report["outcome"]
    return Outcome(path.name, outcome, seconds, report["peak_rss"], detail)


def fuzz_decode(folder: Path, count: int, seed: int) -> list[Outcome]:
    """Write the mutants into folder and decode each in a child; the outcomes in order."""
    outcomes = []
    for name, data in mutants(count, seed):
        path = folder / name
        path.write_bytes(data)
        outcomes.append(decode_in_child(path))
    return outcomes


def fuzz_cli(folder: Path) -> dict:
    """`grym-desktop transcribe` over every file in folder at once: each file gets a transcript
    or one error line naming it, and nothing else is printed."""
    files = sorted(p for p in folder.iterdir() if p.is_file())
    out = folder / "out"
    out.mkdir(exist_ok=True)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "grym_desktop", "transcribe", "--output", str(out),
         *map(str, files)], capture_output=True, text=True, timeout=TIME_LIMIT * len(files))
    lines = result.stderr.strip().splitlines()
    transcribed = sum(1 for line in lines if " -> " in line)
    errors = [line for line in lines if " -> " not in line]
    unexplained = [line for line in errors if not any(f.name in line for f in files)]
    return {
        "files": len(files), "exit_code": result.returncode,
        "seconds": round(time.perf_counter() - started, 1),
        "transcribed": transcribed, "error_or_warning_lines": len(errors),
        "every_file_accounted_for": transcribed + len(errors) >= len(files),
        "traceback": "Traceback" in result.stderr,
        "lines_naming_no_file": unexplained[:10],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cli", action="store_true", help="also run the CLI over the mutants")
    parser.add_argument("--keep", type=Path, help="write the mutants here (else a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        outcomes = fuzz_decode(folder, args.count, args.seed)
        counts = Counter(o.outcome for o in outcomes)
        report = {
            "settings": {"count": args.count, "seed": args.seed, "time_limit_seconds": TIME_LIMIT,
                         "memory_limit_bytes": MEMORY_LIMIT,
                         "seeds": [p.name for p in SEEDS], "mutations": list(MUTATIONS)},
            "decode": {
                "outcomes": dict(counts),
                "errors": dict(Counter(o.detail.split(":")[0] for o in outcomes
                                       if o.outcome == "typed error")),
                "failures": [asdict(o) for o in outcomes
                             if o.outcome not in ("decoded", "typed error")],
                "slowest_seconds": round(max(o.seconds for o in outcomes), 2),
                "peak_rss_mib": round(max(o.peak_rss for o in outcomes) / 2**20, 1),
                "wall_seconds": round(time.perf_counter() - started, 1),
            },
        }
        if args.cli:
            report["cli"] = fuzz_cli(folder)
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
