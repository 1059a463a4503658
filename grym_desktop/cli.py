"""The command line: the same core as the window, headless.

`grym-desktop` with no arguments opens the window. Exit codes: 0 done, 2 usage,
3 unusable input, 4 refused for memory, 5 model missing, 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grym_desktop.errors import GrymError
from grym_desktop.models.catalog import DEFAULT_MODEL


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grym-desktop", description="Local audio understanding under a memory governor."
    )
    parser.add_argument("--memory-limit", help="hard memory limit, e.g. 16GiB (default 16 GiB)")
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
    tr.add_argument("--vad", action="store_true", help="skip silence with Silero VAD")
    tr.add_argument("--memory-limit", dest="memory_limit_sub", default=None)

    mem = commands.add_parser("memory", help="limit, budget, use and pressure")
    mem.add_argument("--json", action="store_true")
    mem.add_argument("--memory-limit", dest="memory_limit_sub", default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    limit_text = getattr(args, "memory_limit_sub", None) or args.memory_limit
    try:
        from grym_desktop.memory.limits import resolve_limit

        limit = resolve_limit(limit_text)
    except ValueError as exc:
        print(f"grym-desktop: {exc}", file=sys.stderr)
        return 2
    if args.command is None:
        from grym_desktop.ui.app import main as run_window

        return run_window(memory_limit=limit_text)
    if args.command == "memory":
        return memory_command(args, limit)
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
    from grym_desktop.orchestrator.runner import Orchestrator, TranscribeTask
    from grym_desktop.store.library import Library

    to_stdout = args.output == "-"
    if not to_stdout:
        Path(args.output).mkdir(parents=True, exist_ok=True)
    show_progress = sys.stderr.isatty()

    def on_event(event: ev.Event) -> None:
        if isinstance(event, ev.Progress) and show_progress:
            print(f"\r{event.fraction:4.0%}", end="", file=sys.stderr, flush=True)
        elif isinstance(event, ev.FallbackUsed):
            fb = event.fallback
            print(f"grym-desktop: used {fb.to_model} instead of {fb.from_model}: {fb.reason}",
                  file=sys.stderr)

    exit_code = 0
    library = Library()
    library.recover_interrupted()
    orchestrator = Orchestrator(limit, library=library, on_event=on_event)
    options = {"beam_size": args.beam_size, "vad_filter": args.vad}
    try:
        for path in args.files:
            task = TranscribeTask(path, model_id=args.model, language=args.language,
                                  task=args.task, precision=args.precision, options=options)
            try:
                transcript = orchestrator.run(task)
            except GrymError as exc:
                if show_progress:
                    print("\r", end="", file=sys.stderr)
                print(f"grym-desktop: {exc}", file=sys.stderr)
                exit_code = exit_code or exc.exit_code
                continue
            if show_progress:
                print("\r", end="", file=sys.stderr)
            if to_stdout:
                text = render(transcript, args.format)
                if args.format == "json":
                    text = json.dumps(transcript.to_dict(), ensure_ascii=False)
                print(text, flush=True)
            else:
                print(f"{path} -> {write(transcript, args.format, Path(args.output))}",
                      file=sys.stderr)
    finally:
        orchestrator.close()
        library.close()
    return exit_code
