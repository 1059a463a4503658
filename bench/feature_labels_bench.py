"""Recognising sounds from labels: leave-one-out labelling of the eval clips, per embedding.

Every clip of ../shared/eval/ goes through the app's feature pipeline once
(orchestrator.features.analyse: 2 s windows every 1 s, the signal features and the bundled
Whisper tiny.en encoder through the model host) into a FeatureStore in a temporary folder,
and every window is labelled with its clip's class. Then, for each labelled non-speech clip,
with its own windows left out of the vote (exclude_clip), the store's k-nearest-neighbour
vote suggests a label, and the nearest other recording (similar_recordings) is looked up.

Classes: the manifest's labels grouped where they name the same kind of sound (dog and dog
howling: dog; trumpet, orchestra, drums and bass: music); a clip whose class has no other
clip cannot be labelled right by any neighbour vote, so accuracy is given over the clips
that can be (and over all, for reference), next to chance: a vote for the label of a clip
drawn at random from the others. Speech against non-speech is measured the same way over
all 36 clips.

    .venv/bin/python bench/feature_labels_bench.py
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import soundfile as sf
from common import EVAL, emit, load_raw_or_decode

from grym_desktop.features.signal import SIGNAL_MODEL
from grym_desktop.features.store import FeatureStore
from grym_desktop.memory.limits import resolve_limit
from grym_desktop.models.catalog import DEFAULT_MODEL
from grym_desktop.orchestrator import features as fx
from grym_desktop.orchestrator.runner import Orchestrator

CLASSES = {"dog": "dog", "dog howling": "dog", "car_horn": "car horn",
           "thunderstorm": "thunderstorm", "bird chirp (robin)": "bird",
           "solo trumpet (music)": "music", "humpback whale song": "whale",
           "orchestral music (Brahms Hungarian Dance 5)": "music",
           "music drums and bass": "music"}
K = 5


def eval_clips(folder: Path) -> list[tuple[Path, str, str]]:
    """(playable path, kind, class) of every eval clip; the headerless .raw made a WAV."""
    with open(EVAL / "manifest.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    clips = []
    for r in rows:
        path = EVAL / "clips" / r["file"]
        if path.suffix == ".raw":
            wav = folder / (path.stem + ".wav")
            sf.write(wav, load_raw_or_decode(path), 16000)
            path = wav
        kind = r["type"]
        clips.append((path, kind, CLASSES[r["transcript"]] if kind == "nonspeech" else "speech"))
    return clips


def chance(classes: list[str], of: list[str] | None = None) -> float:
    """Accuracy over `of` (default: all) of taking the label of a random other clip."""
    counts = Counter(classes)
    return float(np.mean([(counts[c] - 1) / (len(classes) - 1) for c in of or classes]))


def leave_one_out(store: FeatureStore, model: str, analysed: list, clip_ids: list[int]) -> dict:
    """The top label the vote gives each clip (at any confidence) and its nearest recording."""
    votes, nearest = [], []
    for features, clip_id in zip(analysed, clip_ids, strict=True):
        features = features[model]
        features.clip_id = clip_id
        suggestions = fx.suggest_labels(store, features, k=K, min_confidence=0.0)
        votes.append(suggestions[0].label if suggestions else None)
        similar = fx.similar_recordings(store, features, k=1)
        nearest.append(similar[0].path if similar else None)
    return {"votes": votes, "nearest": nearest}


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="grym-feature-bench-"))
    clips = eval_clips(tmp)
    store = FeatureStore(tmp / "features.sqlite3")
    orchestrator = Orchestrator(resolve_limit(None))
    analysed, clip_ids, seconds = [], [], {SIGNAL_MODEL: 0.0, DEFAULT_MODEL: 0.0}
    try:
        for path, _kind, cls in clips:
            started = time.perf_counter()
            whisper = fx.analyse(path, orchestrator, DEFAULT_MODEL)
            seconds[DEFAULT_MODEL] += time.perf_counter() - started
            started = time.perf_counter()
            signal = fx.analyse(path, None, SIGNAL_MODEL)
            seconds[SIGNAL_MODEL] += time.perf_counter() - started
            clip_id = fx.remember(store, whisper)  # its signal vectors and its Whisper vectors
            store.label_span(clip_id, SIGNAL_MODEL, 0.0, whisper.duration + 1, cls)
            analysed.append({SIGNAL_MODEL: signal, DEFAULT_MODEL: whisper})
            clip_ids.append(clip_id)
    finally:
        orchestrator.close()
    audio_seconds = sum(a[SIGNAL_MODEL].duration for a in analysed)

    report: dict = {"clips": len(clips), "audio_seconds": round(audio_seconds, 1), "k": K,
                    "embeddings": {}}
    nonspeech = [i for i, (_p, kind, _c) in enumerate(clips) if kind == "nonspeech"]
    ns_classes = [clips[i][2] for i in nonspeech]
    counts = Counter(ns_classes)
    answerable = [j for j, c in enumerate(ns_classes) if counts[c] > 1]
    for model in (SIGNAL_MODEL, DEFAULT_MODEL):
        # Non-speech labelling: the store holds only the non-speech clips' labels.
        ns_store = FeatureStore(tmp / f"nonspeech-{model}.sqlite3")
        ns_ids = []
        for i in nonspeech:
            f = analysed[i][model]
            cid = ns_store.add_clip(f.path, f.sha256, f.duration, model, f.windows, f.vectors)
            ns_store.label_span(cid, model, 0.0, f.duration + 1, clips[i][2])
            ns_ids.append(cid)
        result = leave_one_out(ns_store, model, [analysed[i] for i in nonspeech], ns_ids)
        ns_store.close()
        right = [v == c for v, c in zip(result["votes"], ns_classes, strict=True)]
        path_class = {str(clips[i][0]): clips[i][2] for i in nonspeech}
        thunder = [{"clip": Path(analysed[nonspeech[j]][model].path).name,
                    "nearest": Path(n).name if n else None,
                    "nearest_is_thunderstorm": path_class.get(n) == "thunderstorm"}
                   for j, n in enumerate(result["nearest"]) if ns_classes[j] == "thunderstorm"]
        # Speech against non-speech over all clips, in the full store.
        kinds = ["speech" if k == "speech" else "nonspeech" for _p, k, _c in clips]
        sp_votes = []
        for i, f in enumerate(analysed):
            f = f[model]
            f.clip_id = clip_ids[i]
            suggestion = fx.suggest_labels(store, f, k=K, min_confidence=0.0)
            top = suggestion[0].label if suggestion else None
            sp_votes.append("speech" if top == "speech" else "nonspeech")
        sp_right = [v == k for v, k in zip(sp_votes, kinds, strict=True)]
        report["embeddings"][model] = {
            "dimension": int(analysed[0][model].vectors.shape[1]),
            "seconds_to_compute": round(seconds[model], 2),
            "nonspeech_accuracy_answerable": round(float(np.mean([right[j] for j in answerable])),
                                                   3),
            "nonspeech_chance_answerable": round(
                chance(ns_classes, [ns_classes[j] for j in answerable]), 3),
            "nonspeech_accuracy_all": round(float(np.mean(right)), 3),
            "nonspeech_chance_all": round(chance(ns_classes), 3),
            "votes": {Path(analysed[i][model].path).name: v
                      for i, v in zip(nonspeech, result["votes"], strict=True)},
            "thunderstorms": thunder,
            "speech_vs_nonspeech_accuracy": round(float(np.mean(sp_right)), 3),
            "speech_vs_nonspeech_chance": round(chance(kinds), 3),
        }
    store.close()
    report["classes"] = dict(Counter(ns_classes))
    report["answerable_clips"] = len(answerable)
    report["ratio_whisper_to_signal_seconds"] = round(
        seconds[DEFAULT_MODEL] / max(seconds[SIGNAL_MODEL], 1e-9), 2)
    report["thunderstorm_found_by_some_embedding"] = all(
        any(report["embeddings"][m]["thunderstorms"][t]["nearest_is_thunderstorm"]
            for m in (SIGNAL_MODEL, DEFAULT_MODEL))
        for t in range(3))
    emit(report)


if __name__ == "__main__":
    main()
