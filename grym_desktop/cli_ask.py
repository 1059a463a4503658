"""`grym-desktop ask FILE --question TEXT`: an audio-language model answers about a recording.

The answer streams to stdout as it is generated (or comes as one JSON object with --json).
Exit codes as the rest of the command line: 4 when the model (or, with --fallback, every model
that could answer) is refused for memory, 5 when none is installed, 3 for unusable audio.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys

from grym_desktop.memory.limits import format_size
from grym_desktop.orchestrator.ask import ask, stop_answer
from grym_desktop.orchestrator.runner import open_orchestrator


def ask_command(args: argparse.Namespace, limit: int) -> int:
    orchestrator = open_orchestrator(limit)
    streaming = not args.json

    def on_token(text: str) -> None:
        if streaming:
            print(text, end="", flush=True)

    def on_model(model: str, precision: str, estimate: int) -> None:
        print(f"grym-desktop: {model} ({precision}, about {format_size(estimate)}) is "
              "answering.", file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, lambda *_: stop_answer(orchestrator))
    try:
        answer = ask(orchestrator, args.file, args.question, model_id=args.model,
                     precision=args.precision, fallback=args.fallback,
                     use_transcript=not args.no_transcript, max_new_tokens=args.max_tokens,
                     on_token=on_token, on_model=on_model)
    finally:
        signal.signal(signal.SIGINT, previous)
        orchestrator.close()
    for reason in answer.skipped:
        print(f"grym-desktop: passed over: {reason}", file=sys.stderr)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    print()
    if answer.note:
        print(f"grym-desktop: {answer.note}", file=sys.stderr)
    if answer.stopped:
        print("grym-desktop: stopped; the answer above is as far as it got.", file=sys.stderr)
    return 0
