"""The command line: the same core as the window, headless.

`grym-desktop` with no arguments opens the window. Exit codes: 0 done, 2 usage,
3 unusable input, 4 refused for memory, 5 model missing, 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from grym_desktop.errors import GrymError
from grym_desktop.models.catalog import DEFAULT_MODEL
from grym_desktop.options import DecodeOptions
from grym_desktop.transcript import clock

SIGNAL_MODEL_ID = "signal-v1"  # grym_desktop.features.signal.SIGNAL_MODEL, named without numpy


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grym-desktop", description="Local audio understanding under a memory governor. "
        "With no command it opens the window; `grym-desktop FILE...` opens it with the files "
        "queued (or gives them to the window already open)."
    )
    parser.add_argument("--memory-limit", help="hard memory limit, e.g. 16GiB (default 16 GiB)")
    parser.add_argument("--reset-settings", action="store_true",
                        help="forget the window's and the core settings (the library and the "
                             "models are kept), then exit")
    commands = parser.add_subparsers(dest="command")

    tr = commands.add_parser("transcribe", help="transcribe audio or video files")
    tr.add_argument("files", nargs="+", metavar="FILE")
    tr.add_argument("--model", default=DEFAULT_MODEL)
    tr.add_argument("--format", choices=("txt", "srt", "vtt", "json"), default="txt")
    tr.add_argument("--output", default="-", help="folder for the files, or - for stdout")
    tr.add_argument("--language", default=None)
    tr.add_argument("--task", choices=("transcribe", "translate"), default="transcribe")
    tr.add_argument("--precision", default=None, help="float32 or int8 (default: by memory)")
    tr.add_argument("--beam-size", type=int, default=5)
    tr.add_argument("--vad", action="store_true",
                    help="decode only the stretches where Silero VAD hears speech")
    tr.add_argument("--no-speech-filter", dest="speech_filter", action="store_false",
                    help="keep text that lies where VAD heard no speech (dropped by default)")
    tr.add_argument("--hallucination-silence", type=float, default=None, metavar="SECONDS",
                    help="faster-whisper's skip of silence longer than this around "
                         "suspicious words")
    tr.add_argument("--batched", action="store_true",
                    help="decode speech pieces in batches sized to free memory")
    tr.add_argument("--speakers", default=None, metavar="auto|N|MIN-MAX",
                    help="find who spoke when after transcribing: auto, a count, or bounds")
    tr.add_argument("--memory-limit", dest="memory_limit_sub", default=None)

    mem = commands.add_parser("memory", help="limit, budget, use and pressure")
    mem.add_argument("--json", action="store_true")
    mem.add_argument("--memory-limit", dest="memory_limit_sub", default=None)

    prof = commands.add_parser("profile", help="profile memory over load/unload cycles")
    prof.add_argument("--model", default=DEFAULT_MODEL)
    prof.add_argument("--cycles", type=int, default=5, help="load/unload cycles (default 5)")
    prof.add_argument("--precision", default=None, help="float32 or int8 (default: by memory)")
    prof.add_argument("--json", action="store_true")
    prof.add_argument("--memory-limit", dest="memory_limit_sub", default=None)

    mod = commands.add_parser("models", help="list, download, verify or remove models")
    mod.add_argument("action", choices=("list", "download", "verify", "remove", "add"))
    mod.add_argument("target", nargs="?", metavar="ID", help="model id (a folder for add)")
    mod.add_argument("--id", dest="new_id", default=None, help="id for a folder added with add")
    mod.add_argument("--json", action="store_true")
    mod.add_argument("--memory-limit", dest="memory_limit_sub", default=None)

    lv = commands.add_parser("live", help="transcribe the microphone as you speak")
    lv.add_argument("--device", default=None, help="input device name (or part of it) or number")
    lv.add_argument("--seconds", type=float, default=None, help="stop after this much audio")
    lv.add_argument("--model", default=None, help="default: the fastest installed model")
    lv.add_argument("--language", default=None)
    lv.add_argument("--json", action="store_true", help="one JSON line per partial and final")
    lv.add_argument("--list-devices", action="store_true", help="list input devices and exit")
    lv.add_argument("--file", default=None, help="replay an audio file instead of a microphone")
    lv.add_argument("--fast", action="store_true",
                    help="with --file: as fast as the model takes it, not at real time")
    lv.add_argument("--memory-limit", dest="memory_limit_sub", default=None)

    fe = commands.add_parser(
        "features", help="features of recordings; remember, label and find similar sounds",
        description="Compute features of FILEs; `features search --text WORDS` finds stored "
                    "sounds by a description (needs CLAP).")
    fe.add_argument("files", nargs="+", metavar="FILE")
    fe.add_argument("--model", default=None,
                    help=f"embedding model: {SIGNAL_MODEL_ID} (no model), a Whisper model's "
                         "encoder or clap-htsat-unfused (default: the bundled Whisper)")
    fe.add_argument("--store", action="store_true", help="remember the files in the feature memory")
    fe.add_argument("--similar", type=int, default=0, metavar="K",
                    help="list the K most similar stored recordings")
    fe.add_argument("--label", default=None, metavar="NAME", help="label a span (with --at)")
    fe.add_argument("--at", default=None, metavar="START-END", help="the span --label names")
    fe.add_argument("--suggest", action="store_true",
                    help="suggest labels from the labelled sounds of other recordings")
    fe.add_argument("--text", default=None, help="with `search`: what the sound is, in words")
    fe.add_argument("--json", action="store_true")
    fe.add_argument("--memory-limit", dest="memory_limit_sub", default=None)

    vo = commands.add_parser("voices", help="the voice library: named voices recognised in "
                                            "later recordings")
    vo.add_argument("action", choices=("list", "rename", "delete"))
    vo.add_argument("names", nargs="*", metavar="NAME", help="rename OLD NEW, or delete NAME")
    vo.add_argument("--json", action="store_true")

    co = commands.add_parser(
        "compare", help="compare two models on the same files, one in memory at a time",
        description="Run every FILE through model A, then through model B, and compare word "
                    "error rate, speed and memory. A stopped comparison resumes when the same "
                    "command is run again.")
    co.add_argument("files", nargs="+", metavar="FILE")
    co.add_argument("--a", required=True, metavar="ID[:PRECISION]", help="model A")
    co.add_argument("--b", required=True, metavar="ID[:PRECISION]", help="model B")
    co.add_argument("--reference", action="append", default=None, metavar="FILE|MANIFEST",
                    help="a manifest (TSV with file and transcript columns), or one text file "
                         "per FILE in order; default: NAME.txt next to each file")
    co.add_argument("--json", action="store_true", help="the whole comparison as JSON on stdout")
    co.add_argument("--csv", default=None, metavar="PATH",
                    help="also write one row per file and model as CSV")
    co.add_argument("--memory-limit", dest="memory_limit_sub", default=None)

    ba = commands.add_parser(
        "batch", help="transcribe many files into a folder; resumable, with parallel hosts",
        description="Transcribe every audio or video file the SOURCEs name (files, folders, "
                    "globs, manifests) into --output. A ledger in the output folder makes the "
                    "same command resume: done files are skipped, failed ones retried.")
    ba.add_argument("sources", nargs="+", metavar="SOURCE")
    ba.add_argument("--output", required=True, metavar="DIR")
    ba.add_argument("--format", choices=("txt", "srt", "vtt", "json"), default="txt")
    ba.add_argument("--model", default=DEFAULT_MODEL)
    ba.add_argument("--precision", default=None)
    ba.add_argument("--workers", default=None, metavar="N|auto",
                    help="model hosts in parallel (default 1; auto: by budget and cores; on "
                         "a cluster, actors, by default auto)")
    ba.add_argument("--language", default=None)
    ba.add_argument("--task", choices=("transcribe", "translate"), default="transcribe")
    ba.add_argument("--speakers", default=None, metavar="auto|N|MIN-MAX")
    ba.add_argument("--batched", choices=("off", "auto", "on"), default="off",
                    help="faster-whisper's batched decoding: 1.2-1.8x as fast on long files "
                         "but it drops sentences (off, the default: never; auto: for files of "
                         "5 minutes or more; on: every file)")
    ba.add_argument("--cluster", default=None, metavar="ADDRESS|auto",
                    help="run on a Ray cluster (auto: the one running here); --workers then "
                         "counts actors (auto: as many as the nodes' memory and CPUs hold)")
    ba.add_argument("--cluster-audio", choices=("auto", "path", "copy"), default="auto",
                    help="on a cluster: send audio by path or copy it through Ray's object "
                         "store (auto: by path when every node sees the files)")
    ba.add_argument("--json", action="store_true", help="a JSON object per line on stdout")
    ba.add_argument("--memory-limit", dest="memory_limit_sub", default=None)

    ak = commands.add_parser(
        "ask", help="ask a recording a question; an audio-language model answers",
        description="An audio-language model hears FILE (and reads its transcript, if the "
                    "library has one) and answers the question; the answer is kept in the "
                    "library. Ctrl+C stops the answer where it is.")
    ak.add_argument("file", metavar="FILE")
    ak.add_argument("--question", required=True, help='e.g. "What is happening here?"')
    ak.add_argument("--model", default=None,
                    help="an ask model (default: the largest installed one that fits)")
    ak.add_argument("--precision", default=None, help="bfloat16, float32 or int8")
    ak.add_argument("--fallback", action="store_true",
                    help="if the model cannot run, use the largest one that fits")
    ak.add_argument("--no-transcript", action="store_true",
                    help="do not give the model the recording's transcript")
    ak.add_argument("--max-tokens", type=int, default=512, help="longest answer (default 512)")
    ak.add_argument("--json", action="store_true")
    ak.add_argument("--memory-limit", dest="memory_limit_sub", default=None)

    se = commands.add_parser("search", help="find words in every transcript of the library")
    se.add_argument("query", nargs="+", metavar="QUERY",
                    help='words that must all occur; FTS5 syntax works too: \'"a phrase"\', '
                         "budg*, AND, OR, NOT")
    se.add_argument("--limit", type=int, default=50, help="at most this many hits (default 50)")
    se.add_argument("--json", action="store_true")
    return parser


def window_files(argv: list[str]) -> tuple[list[str], list[str]] | None:
    """`grym-desktop [--memory-limit X] FILE...` as a file manager runs it: (the options, the
    files), or None when the words after the options are a command (or there are none)."""
    options, rest = [], list(argv)
    while rest and rest[0].startswith("-") and rest[0] != "--":
        options.append(rest.pop(0))
        if options[-1] == "--memory-limit" and rest:
            options.append(rest.pop(0))
    if rest and rest[0] == "--":
        return options, rest[1:]
    # A command is a plain word; a file exists or at least looks like a path.
    if rest and (all(Path(p).is_file() for p in rest) or any(c in rest[0] for c in "/.")):
        return options, rest
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    split = window_files(argv)
    options, files = split if split is not None else (argv, [])
    args = parser.parse_args(options)
    if args.reset_settings:
        from grym_desktop.ui.app import reset_settings

        print("\n".join(reset_settings()))
        return 0
    missing = [f for f in files if not Path(f).is_file()]
    if missing:
        print(f"grym-desktop: cannot open {', '.join(missing)}: no such file.", file=sys.stderr)
        return 3
    limit_text = getattr(args, "memory_limit_sub", None) or args.memory_limit
    try:
        from grym_desktop.memory.limits import resolve_limit

        limit = resolve_limit(limit_text)
    except ValueError as exc:
        print(f"grym-desktop: {exc}", file=sys.stderr)
        return 2
    if args.command is None:
        # A window already open takes the files: nothing else is loaded.
        from grym_desktop.ui.single_instance import hand_over

        if hand_over(files):
            return 0
        # Before Qt's platform plugin loads: a missing X11 library is named with its apt-get line.
        from grym_desktop.ui.platform_check import EXIT_CODE, check_platform_libraries

        if not check_platform_libraries():
            return EXIT_CODE
        from grym_desktop.ui.app import main as run_window

        return run_window(memory_limit=limit_text, files=files)
    try:
        return run_command(args, limit)
    except GrymError as exc:
        print(f"grym-desktop: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - one sentence instead of a traceback
        if os.environ.get("GRYM_DEBUG"):
            raise
        print(f"grym-desktop: unexpected error ({type(exc).__name__}: {exc}); "
              "run again with GRYM_DEBUG=1 for details.", file=sys.stderr)
        return 1


def run_command(args: argparse.Namespace, limit: int) -> int:
    if args.command == "memory":
        return memory_command(args, limit)
    if args.command == "profile":
        return profile_command(args, limit)
    if args.command == "models":
        return models_command(args, limit)
    if args.command == "live":
        return live_command(args, limit)
    if args.command == "search":
        return search_command(args)
    if args.command == "voices":
        return voices_command(args)
    if args.command == "features":
        from grym_desktop.cli_features import features_command

        return features_command(args, limit)
    if args.command == "compare":
        from grym_desktop.cli_compare import compare_command

        return compare_command(args, limit)
    if args.command == "ask":
        from grym_desktop.cli_ask import ask_command

        return ask_command(args, limit)
    if args.command == "batch":
        from grym_desktop.cli_batch import batch_command

        return batch_command(args, limit)
    return transcribe_command(args, limit)


def memory_command(args: argparse.Namespace, limit: int) -> int:
    from grym_desktop.memory.limits import format_size
    from grym_desktop.memory.state import read_state

    state = read_state(limit)
    if args.json:
        print(json.dumps(state.to_dict()))
        return 0
    print(f"limit       {format_size(state.limit)}")
    print(f"system      {format_size(state.total)} total, {format_size(state.available)} available")
    print(f"app uses    {format_size(state.app_used)}")
    print(f"reserve     {format_size(state.reserve)}")
    print(f"budget      {format_size(state.budget)} for a new model")
    print(f"pressure    {state.pressure:.0%} ({state.level})")
    return 0


def transcribe_command(args: argparse.Namespace, limit: int) -> int:
    from grym_desktop.export.writers import render, write
    from grym_desktop.orchestrator import events as ev
    from grym_desktop.orchestrator.runner import TranscribeTask, open_orchestrator

    to_stdout = args.output == "-"
    if not to_stdout:
        problem = _unwritable_folder(Path(args.output))
        if problem:
            print(f"grym-desktop: {problem}", file=sys.stderr)
            return 2
    show_progress = sys.stderr.isatty()

    plan_notes: list[str] = []  # said once the model they explain is loaded

    def on_event(event: ev.Event) -> None:
        if isinstance(event, ev.Progress) and show_progress:
            print(f"\r{event.fraction:4.0%}", end="", file=sys.stderr, flush=True)
        elif isinstance(event, ev.PlanMade):
            plan_notes[:] = [*event.reasons, *([event.warning] if event.warning else [])]
        elif isinstance(event, ev.ModelLoaded):
            for line in plan_notes:
                print(f"grym-desktop: {line}", file=sys.stderr)
        elif isinstance(event, ev.FallbackUsed):
            fb = event.fallback
            print(f"grym-desktop: used {fb.to_model} instead of {fb.from_model}: {fb.reason}",
                  file=sys.stderr)

    from grym_desktop.orchestrator.speakers import SpeakerCount

    speakers = SpeakerCount.parse(args.speakers)
    exit_code = 0
    options = DecodeOptions(
        language=args.language, task=args.task, beam_size=args.beam_size, vad_filter=args.vad,
        batched=args.batched, speech_filter=args.speech_filter,
        hallucination_silence_threshold=args.hallucination_silence,
    )
    try:
        options.check()
    except GrymError as exc:
        print(f"grym-desktop: {exc}", file=sys.stderr)
        return 2
    orchestrator = open_orchestrator(limit, on_event)
    try:
        for path in args.files:
            task = TranscribeTask(path, model_id=args.model, precision=args.precision,
                                  options=options, speakers=speakers)
            try:
                transcript = orchestrator.run(task)
            except GrymError as exc:
                if show_progress:
                    print("\r", end="", file=sys.stderr)
                print(f"grym-desktop: {exc}", file=sys.stderr)
                exit_code = exit_code or exc.exit_code
                continue
            except Exception as exc:  # noqa: BLE001 - a bug must not stop the other files
                print(f"grym-desktop: {path} failed unexpectedly ({type(exc).__name__}).",
                      file=sys.stderr)
                exit_code = exit_code or 1
                continue
            if show_progress:
                print("\r", end="", file=sys.stderr)
            for warning in transcript.warnings:
                print(f"grym-desktop: {warning}", file=sys.stderr)
            if to_stdout:
                text = render(transcript, args.format)
                if args.format == "json":
                    text = json.dumps(transcript.to_dict(), ensure_ascii=False)
                print(text, flush=True)
            else:
                try:
                    written = write(transcript, args.format, Path(args.output))
                except GrymError as exc:  # a full disk: the next file may still fit
                    print(f"grym-desktop: {exc}", file=sys.stderr)
                    exit_code = exit_code or exc.exit_code
                    continue
                print(f"{path} -> {written}", file=sys.stderr)
    finally:
        orchestrator.close()
    return exit_code


def _unwritable_folder(folder: Path) -> str | None:
    """Why transcripts cannot be written into folder (made if missing), or None."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return f"--output {folder} is a file, not a folder."
    except OSError as exc:
        return f"--output {folder} cannot be created: {(exc.strerror or str(exc)).lower()}."
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"--output {folder} is not writable."
    return None


def profile_command(args: argparse.Namespace, limit: int) -> int:
    """N load/unload cycles and one transcription of the bundled clip, then the report."""
    from grym_desktop.orchestrator.profile import run_profile

    if args.cycles < 1:
        print("grym-desktop: --cycles must be at least 1.", file=sys.stderr)
        return 2
    try:
        run = run_profile(limit, args.model, cycles=args.cycles, precision=args.precision)
    except GrymError as exc:
        print(f"grym-desktop: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        print(json.dumps(run.to_dict()))
    else:
        print(f"{run.model} ({run.precision}), {run.cycles} cycles; "
              f"{run.clip}: {run.text or '(no text)'}")
        print(run.report.to_text())
    return 0


def models_command(args: argparse.Namespace, limit: int) -> int:
    """models list|download|verify|remove [ID] and models add FOLDER [--id ID]."""
    import logging

    from grym_desktop.models import overview, sources
    from grym_desktop.models.catalog import add_local_model, get_spec, load_catalog

    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)  # no library chatter
    if args.action in ("download", "remove", "add") and not args.target:
        print(f"grym-desktop: models {args.action} needs "
              f"{'a folder' if args.action == 'add' else 'a model id'}.", file=sys.stderr)
        return 2
    try:
        if args.action == "list":
            specs = [get_spec(args.target)] if args.target else list(load_catalog().values())
            state = overview.budget_state(limit)
            rows = overview.model_rows(specs, state)
            if args.json:
                print(json.dumps({"limit": state.limit, "budget": state.budget,
                                  "models": [r.to_dict() for r in rows]}))
            else:
                for r in rows:
                    print(f"{r.spec.id:30} {r.status.state:14} "
                          f"{_size(r.status.size_on_disk):>10}  {r.badge()}{r.runtime_note()}")
            return 0
        if args.action == "add":
            spec = add_local_model(args.target, args.new_id)
            print(json.dumps({"id": spec.id, "engine": spec.engine}) if args.json else
                  f"Added {spec.id} ({spec.engine}) from {spec.source['path']}.")
            return 0
        if args.action == "remove":
            message = sources.remove(get_spec(args.target))
            print(json.dumps({"id": args.target, "result": message}) if args.json else message)
            return 0
        if args.action == "verify":
            return _verify_models(args, get_spec, load_catalog)
        return _download_model(args, get_spec(args.target), limit)
    except GrymError as exc:
        print(f"grym-desktop: {exc}", file=sys.stderr)
        return exc.exit_code


def _size(n: int) -> str:
    from grym_desktop.memory.limits import format_size

    return format_size(n) if n else "-"


def _verify_models(args: argparse.Namespace, get_spec, load_catalog) -> int:
    from grym_desktop.models import sources

    if args.target:
        specs = [get_spec(args.target)]
    else:
        specs = [s for s in load_catalog().values()
                 if sources.status(s).state != "not installed"]
    results = []
    for spec in specs:
        problems = sources.verify(spec)
        results.append({"id": spec.id, "ok": not problems, "problems": problems})
        if not args.json:
            print(f"{spec.id}: verified" if not problems else
                  f"{spec.id}: FAILED: " + "; ".join(problems), file=sys.stdout)
    if args.json:
        print(json.dumps({"models": results}))
    return 0 if all(r["ok"] for r in results) else 5


def _download_model(args: argparse.Namespace, spec, limit: int) -> int:
    import time

    from grym_desktop.models import sources
    from grym_desktop.models.download import download_model

    tty = sys.stderr.isatty()
    last = [0.0]

    def on_progress(progress) -> None:
        now = time.monotonic()
        if progress.phase == "download" and now - last[0] < (0.2 if tty else 2.0):
            return
        last[0] = now
        line = f"{spec.id}: {progress.describe()}"
        print(f"\r{line:<78}" if tty else line, end="" if tty else "\n", file=sys.stderr,
              flush=True)

    try:
        path = download_model(spec, on_progress, limit_bytes=limit)
    except KeyboardInterrupt:
        print(f"\ngrym-desktop: the download of {spec.id} was cancelled.", file=sys.stderr)
        return 1
    finally:
        if tty:
            print(file=sys.stderr)
    st = sources.status(spec)
    if args.json:
        print(json.dumps({"id": spec.id, "state": st.state, "path": str(path),
                          "size_on_disk": st.size_on_disk}))
    else:
        print(f"{spec.id} is installed and verified in {path}.")
    return 0


def voices_command(args: argparse.Namespace) -> int:
    """List, rename or delete the named voices; a rename reaches every transcript."""
    from grym_desktop.errors import UsageError
    from grym_desktop.features.store import FeatureStore
    from grym_desktop.store.library import Library

    wanted = {"list": 0, "rename": 2, "delete": 1}[args.action]
    if len(args.names) != wanted:
        raise UsageError(f"`voices {args.action}` takes {wanted or 'no'} "
                         f"name{'s' if wanted != 1 else ''}.")
    store = FeatureStore()
    try:
        if args.action == "rename":
            old, new = args.names
            store.rename_voice(old, new)
            library = Library()
            try:
                changed = library.rename_speaker_everywhere(old, new)
            finally:
                library.close()
            print(f"{old} is now {new} in the voice library and in {len(changed)} "
                  f"transcript{'s' * (len(changed) != 1)}.", file=sys.stderr)
        elif args.action == "delete":
            store.delete_voice(args.names[0])
            print(f"Deleted the voice {args.names[0]}.", file=sys.stderr)
        else:
            voices = store.voices()
            if args.json:
                print(json.dumps([{"name": v.name, "model": v.model_id, "seconds":
                                   round(v.seconds, 1), "updated": v.updated_at}
                                  for v in voices]))
            elif not voices:
                print("No named voices yet: name a speaker in a transcript to add one.",
                      file=sys.stderr)
            for v in voices if not args.json else []:
                print(f"{v.name}  {v.model_id}  {v.seconds:.0f} s of speech  {v.updated_at}")
    finally:
        store.close()
    return 0


def search_command(args: argparse.Namespace) -> int:
    """The library's segments that match the query, best first, one per line or as JSON."""
    from dataclasses import asdict

    from grym_desktop.store.library import Library

    if args.limit < 1:
        print("grym-desktop: --limit must be at least 1.", file=sys.stderr)
        return 2
    library = Library()
    try:
        hits = library.search(" ".join(args.query), limit=args.limit)
        answers = library.search_answers(" ".join(args.query), limit=args.limit)
    finally:
        library.close()
    if args.json:
        print(json.dumps([asdict(h) for h in hits], ensure_ascii=False))
        return 0
    if not hits and not answers:
        print("No matches.", file=sys.stderr)
    for h in hits:
        print(f"{h.name}  {clock(h.start)}–{clock(h.end)}  {h.snippet}")
    for a in answers:  # what audio-language models answered about recordings
        print(f"{Path(a.file).name}  asked “{a.question}”  {a.model}: {a.answer[:200]}")
    return 0


def live_command(args: argparse.Namespace, limit: int) -> int:
    """Print partial and final text of the microphone (or a replayed file) as it is spoken."""
    import signal
    import threading
    from dataclasses import asdict

    from grym_desktop.audio.capture import MicrophoneSource, list_input_devices
    from grym_desktop.audio.sources import FileSource
    from grym_desktop.orchestrator import live
    from grym_desktop.orchestrator.runner import open_orchestrator

    if args.list_devices:
        devices = list_input_devices()
        for d in devices:
            if args.json:
                print(json.dumps(asdict(d), ensure_ascii=False))
            else:
                mark = "  (default)" if d.is_default else ""
                print(f"{d.index:3d}  {d.name}  [{d.hostapi}, {d.rate} Hz, {d.channels} ch]{mark}")
        if not devices and not args.json:
            print("No microphone was found on this computer.", file=sys.stderr)
        return 0
    if args.fast and not args.file:
        print("grym-desktop: --fast only applies to --file.", file=sys.stderr)
        return 2
    source = (FileSource(args.file, realtime=not args.fast) if args.file
              else MicrophoneSource(args.device))
    lock = threading.Lock()
    partial_shown = sys.stderr.isatty() and not args.json
    session: live.LiveSession | None = None

    def say(text: str, stream=sys.stdout, end: str = "\n") -> None:
        with lock:
            print(text, file=stream, end=end, flush=True)

    def on_event(event: live.LiveEvent) -> None:
        at = round(session.samples / 16000, 3) if session is not None else 0.0
        if isinstance(event, live.LivePartial):
            if args.json:
                say(json.dumps({"event": "partial", "utterance": event.utterance, "at": at,
                                "start": event.start, "text": event.text,
                                "stable": event.stable}, ensure_ascii=False))
            elif partial_shown:
                say(f"\r\x1b[2K\x1b[90m{event.text[-120:]}\x1b[0m", sys.stderr, end="")
        elif isinstance(event, live.LiveFinal):
            seg = event.segment
            if args.json:
                say(json.dumps({
                    "event": "final", "utterance": event.utterance, "at": at,
                    "start": seg.start if seg else event.speech_end,
                    "end": seg.end if seg else event.speech_end,
                    "text": seg.text.strip() if seg else "",
                    "words": [w.to_dict() for w in seg.words] if seg else [],
                    "latency": event.latency}, ensure_ascii=False))
            else:
                if partial_shown:
                    say("\r\x1b[2K", sys.stderr, end="")
                if seg is not None:
                    say(f"[{clock(seg.start)} → {clock(seg.end)}] {seg.text.strip()}")
        elif isinstance(event, live.LiveWarning):
            say(f"grym-desktop: {event.message}", sys.stderr)
        elif isinstance(event, live.LiveStarted) and args.json:
            say(json.dumps({"event": "start", "model": event.model, "engine": session.engine,
                            "precision": event.precision, "source": event.source,
                            "transcript_id": event.transcript_id}, ensure_ascii=False))

    orchestrator = open_orchestrator(limit)
    session = live.LiveSession(orchestrator, source, model_id=args.model,
                               language=args.language, max_seconds=args.seconds,
                               on_event=on_event)
    previous = signal.signal(signal.SIGINT, lambda *_: session.stop())
    try:
        transcript = session.run()
        if args.json:
            say(json.dumps({"event": "end", "duration": transcript.duration,
                            "segments": len(transcript.segments),
                            "transcript_id": session.transcript_id}))
    finally:
        signal.signal(signal.SIGINT, previous)
        orchestrator.close()
    return 0
