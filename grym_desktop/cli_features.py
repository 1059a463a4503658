"""`grym-desktop features`: features of recordings and the feature memory, headless.

`features FILE... [--store] [--similar K] [--label NAME --at START-END] [--suggest]` and
`features search --text WORDS`. Exit codes as the rest of the command line: 3 for audio the
decoder refuses (the other files still run), 5 for a model that is not installed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from grym_desktop.errors import GrymError, ModelMissingError, UsageError
from grym_desktop.features.signal import SIGNAL_MODEL, summary_dict
from grym_desktop.features.store import FeatureStore, Match, Suggestion
from grym_desktop.models.catalog import CLAP_MODEL, DEFAULT_MODEL, get_spec, text_embedding_models
from grym_desktop.models.sources import installed_dir
from grym_desktop.orchestrator import features as fx
from grym_desktop.orchestrator.runner import Orchestrator

CLAP_ADVICE = (f"add a safetensors copy of laion/{CLAP_MODEL} with `grym-desktop models add "
               "FOLDER` (the hub's copy holds only pickle weights, which the app never loads).")


def features_command(args: argparse.Namespace, limit: int) -> int:
    if args.files[0] == "search" and not Path("search").exists():
        return _text_search(args, limit)
    if args.text is not None:
        raise UsageError("--text belongs to `grym-desktop features search --text WORDS`.")
    if (args.label is None) != (args.at is None):
        raise UsageError("--label NAME and --at START-END go together.")
    if args.label is not None and len(args.files) != 1:
        raise UsageError("--label names a span of one file; give one FILE.")
    if args.similar < 0:
        raise UsageError("--similar K needs K of 1 or more.")
    span = fx.parse_span(args.at) if args.at else None
    model_id = args.model or DEFAULT_MODEL
    needs_store = args.store or args.similar or args.suggest or args.label
    store = FeatureStore() if needs_store else None
    orchestrator = None if model_id == SIGNAL_MODEL else Orchestrator(limit)
    exit_code = 0
    try:
        for path in args.files:
            try:
                report = _one_file(path, args, model_id, span, store, orchestrator)
            except GrymError as exc:
                if isinstance(exc, ModelMissingError | UsageError):
                    raise  # the same for every file
                print(f"grym-desktop: {exc}", file=sys.stderr)
                exit_code = exit_code or exc.exit_code
                continue
            if args.json:
                print(json.dumps(report, ensure_ascii=False), flush=True)
            else:
                print(_readable(report), flush=True)
    finally:
        if orchestrator is not None:
            orchestrator.close()
        if store is not None:
            store.close()
    return exit_code


def _one_file(path, args, model_id, span, store, orchestrator) -> dict:
    features = fx.analyse(path, orchestrator, model_id)
    if store is not None:
        existing = store.clip_for(features.path, features.sha256)
        features.clip_id = existing.id if existing else None
    if args.store or args.label:
        fx.remember(store, features)
    report = {
        "file": features.path,
        "sha256": features.sha256,
        "duration": round(features.duration, 3),
        "model": model_id,
        "dimension": int(features.vectors.shape[1]),
        "windows": len(features.windows),
        "summary": summary_dict(features.summary),
        "stored": features.clip_id if (args.store or args.label) else None,
        "patterns": [
            {"similarity": round(p.similarity, 3),
             "occurrences": [[round(s, 2), round(e, 2)] for s, e in p.occurrences]}
            for p in fx.patterns_of(features)
        ],
    }
    if args.label:
        start, end = span
        ids = store.label_span(features.clip_id, model_id, start, end, args.label)
        report["labelled"] = {"name": args.label, "start": start, "end": end, "windows": len(ids)}
    if args.similar:
        report["similar"] = [_match(m) for m in fx.similar_recordings(store, features,
                                                                        args.similar)]
    if args.suggest:
        report["suggestions"] = [_suggestion(s) for s in fx.suggest_labels(store, features)]
    return report


def _text_search(args: argparse.Namespace, limit: int) -> int:
    if args.text is None or not args.text.strip() or len(args.files) > 1:
        raise UsageError('Search by words as `grym-desktop features search --text "dog barking"`.')
    model_id = args.model or _installed_text_model()
    if "embed_text" not in get_spec(model_id).capabilities:
        raise UsageError(f"Searching by words needs a CLAP model; {model_id} embeds no text.")
    if installed_dir(get_spec(model_id)) is None:
        raise ModelMissingError(f"The CLAP model {model_id} is not installed: {CLAP_ADVICE}")
    store = FeatureStore()
    orchestrator = Orchestrator(limit)
    try:
        if model_id not in store.models():
            raise GrymError(f"No recording has {model_id} features yet: store some with "
                            f"`grym-desktop features FILE... --store --model {model_id}`.")
        query = orchestrator.embed_text([args.text], model_id).vectors[0]
        matches = store.similar(model_id, query, k=args.similar or 10)
    finally:
        orchestrator.close()
        store.close()
    if args.json:
        print(json.dumps({"query": args.text, "model": model_id,
                          "matches": [_match(m) for m in matches]}, ensure_ascii=False))
    else:
        for m in matches:
            print(_match_line(m))
        if not matches:
            print("No matches.", file=sys.stderr)
    return 0


def _installed_text_model() -> str:
    """The first installed model that embeds words and sounds in one space (CLAP)."""
    for spec in text_embedding_models():
        if installed_dir(spec) is not None:
            return spec.id
    raise ModelMissingError(f"Searching sounds by words needs a CLAP model and none is "
                            f"installed: {CLAP_ADVICE}")


def _match(m: Match) -> dict:
    return {"file": m.path, "clip": m.clip_id, "window": m.window_id, "start": round(m.start, 2),
            "end": round(m.end, 2), "score": round(m.score, 4), "label": m.label}


def _suggestion(s: Suggestion) -> dict:
    return {"label": s.label, "confidence": round(s.confidence, 3), "votes": s.votes}


def _match_line(m: Match) -> str:
    label = f"  [{m.label}]" if m.label else ""
    return f"  {m.score:.3f}  {m.path}  {m.start:.1f}–{m.end:.1f} s{label}"


def _readable(report: dict) -> str:
    s = report["summary"]
    lines = [
        f"{report['file']}  ({report['duration']:.1f} s, {report['windows']} windows, "
        f"{report['model']} {report['dimension']}-d)",
        "  " + _summary_line(s),
    ]
    if report["stored"] is not None:
        lines.append(f"  stored as recording {report['stored']}")
    if "labelled" in report:
        lb = report["labelled"]
        lines.append(f"  labelled {lb['start']:g}–{lb['end']:g} s as {lb['name']!r} "
                     f"({lb['windows']} windows)")
    for p in report["patterns"]:
        times = ", ".join(f"{a:.1f} s" for a, _ in p["occurrences"])
        lines.append(f"  comes back {len(p['occurrences'])}× at {times} "
                     f"(similarity {p['similarity']:.2f})")
    if "similar" in report:
        lines.append("  similar recordings:" if report["similar"] else "  no similar recordings")
        lines += [_match_line(_unpack(m)) for m in report["similar"]]
    if "suggestions" in report:
        if not report["suggestions"]:
            lines.append("  no label to suggest (label some sounds first)")
        for sg in report["suggestions"]:
            lines.append(f"  suggested: {sg['label']} {sg['confidence']:.0%} "
                         f"({sg['votes']} votes)")
    return "\n".join(lines)


def _summary_line(s: dict) -> str:
    def dbfs(x: float) -> str:
        return f"{20 * math.log10(max(x, 1e-10)):.1f} dBFS"

    return (f"loudness {dbfs(s['rms_mean'])} RMS, peak {dbfs(s['peak'])}, centroid "
            f"{s['centroid_hz_mean']:,.0f} Hz, roll-off {s['rolloff_hz_mean']:,.0f} Hz, "
            f"zero crossings {s['zcr_mean']:.3f}")


def _unpack(m: dict) -> Match:
    return Match(window_id=m["window"], clip_id=m["clip"], path=m["file"], start=m["start"],
                 end=m["end"], score=m["score"], label=m["label"])
