"""Speech to text on PyTorch through transformers: Whisper, Wav2Vec2 CTC and Moonshine
(CLAP embeddings are in clap_engine.py).

Runs only inside the model host. Loads safetensors weights from a local folder, never remote
code. The model family comes from the folder's config.json.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import transformers
from transformers import AutoFeatureExtractor, AutoTokenizer

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.audio.log_mel import encoder_frames
from grym_desktop.audio.scan import AudioScan, read_spans
from grym_desktop.audio.windows import early_clips, file_windows, iter_windows
from grym_desktop.engines.engine import pool_frames
from grym_desktop.errors import GrymError
from grym_desktop.memory.heap import trim_heap
from grym_desktop.models.footprint import TRANSFORMERS_WINDOW_SECONDS
from grym_desktop.options import DecodeOptions
from grym_desktop.transcript import Segment, Word

ENGINE = "transformers"
PRECISIONS = ("float32", "bfloat16", "float16", "int8")
_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16,
           "int8": torch.float32}

transformers.logging.set_verbosity_error()
transformers.logging.disable_progress_bar()


def supported_precisions() -> tuple[str, ...]:
    """The precisions this CPU runs: half precisions only where oneDNN has kernels for them."""
    def has(check: str) -> bool:
        try:
            return bool(getattr(torch.ops.mkldnn, check)())
        except (AttributeError, RuntimeError):
            return False

    return tuple(p for p in PRECISIONS if (p != "bfloat16" or has("_is_mkldnn_bf16_supported"))
                 and (p != "float16" or has("_is_mkldnn_fp16_supported")))


def checked_architectures(
    model_dir: Path, precision: str, cpu_threads: int = 0, **_: Any
) -> list[str]:
    """The architectures model_dir/config.json names, once the folder holds safetensors
    weights and this processor computes in precision (else OSError or ValueError)."""
    model_dir = Path(model_dir)
    config_path = model_dir / "config.json"
    if not config_path.is_file():
        raise OSError(f"there is no config.json in {model_dir}")
    if not any(model_dir.glob("*.safetensors")):
        raise OSError(f"there are no safetensors weights in {model_dir}")
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision}; use one of {', '.join(PRECISIONS)}")
    if precision not in supported_precisions():
        raise ValueError(f"this processor cannot compute in {precision}; use float32 or int8")
    if cpu_threads > 0:
        torch.set_num_threads(cpu_threads)
    return json.loads(config_path.read_text()).get("architectures") or []


def load_transformers(
    model_dir: Path, precision: str, cpu_threads: int = 0, **_: Any
) -> _TransformersEngine:
    """The speech engine for the architecture named in model_dir/config.json, at precision."""
    architectures = checked_architectures(model_dir, precision, cpu_threads)
    for cls in (TransformersWhisper, TransformersCTC, TransformersMoonshine):
        if cls.ARCHITECTURE in architectures:
            return cls(Path(model_dir), precision)
    raise ValueError(f"the architecture {', '.join(architectures) or 'unknown'} is not supported")


class _TransformersEngine:
    """Shared loading, precision and footprint of the transformers speech models.

    A subclass defines decode(samples, offset, options) -> segments for one piece of audio,
    or, like Whisper, walks the windows itself in its own transcribe_windows.
    """

    ARCHITECTURE = ""
    CHUNK_SECONDS = 30.0  # the engine's own window inside the host's long windows
    mel_filters = None  # Whisper's features are floored from a peak the scan finds; not these

    def __init__(self, model_dir: Path, precision: str):
        self.precision = precision
        model_class = getattr(transformers, self.ARCHITECTURE)
        model = model_class.from_pretrained(
            str(model_dir), dtype=_DTYPES[precision], use_safetensors=True,
            trust_remote_code=False, local_files_only=True, disable_mmap=True,
        )
        model.eval()
        if precision == "int8":
            torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, torch.qint8,
                                                   inplace=True)
        self.model = model
        self.dtype = _DTYPES[precision]
        # A model folder is data: code it names (auto_map) is never run.
        self.features = AutoFeatureExtractor.from_pretrained(
            str(model_dir), local_files_only=True, trust_remote_code=False)
        self.tokenizer = AutoTokenizer.from_pretrained(
            str(model_dir), local_files_only=True, trust_remote_code=False)
        self.footprint_bytes = model_bytes(model)
        trim_heap()  # what loading read and converted, handed back before the host's RSS is read

    def transcribe_array(
        self, samples: np.ndarray, options: DecodeOptions
    ) -> tuple[list[Segment], str | None]:
        """Short in-memory audio (16 kHz float32) to segments and the language."""
        segments: list[Segment] = []
        duration = len(samples) / SAMPLE_RATE
        language = self.transcribe_windows([(0.0, samples)], duration, options, segments.append,
                                           lambda _fraction: None)
        return segments, language

    def embed_spans(self, samples: np.ndarray, spans: np.ndarray) -> np.ndarray:
        """Vectors for spans of the audio from the model's encoder (Whisper and CLAP only)."""
        raise GrymError(f"The {type(self).__name__} engine cannot make audio embeddings.")

    def transcribe_clip(
        self, samples: np.ndarray, options: DecodeOptions, language: str | None
    ) -> list[Segment]:
        """A few seconds cut from a file, decoded on their own; times relative to their start."""
        segments, _language = self.transcribe_array(samples, replace(options, language=language))
        return segments

    def transcribe_file(
        self,
        path: str,
        scan: AudioScan,
        options: DecodeOptions,
        on_segment: Callable[[Segment], None],
        on_progress: Callable[[float], None],
    ) -> str | None:
        """Decode the file in long windows cut where the scan heard no speech.

        With options.early_segments a file shorter than the engine's window is decoded in
        pieces cut in its pauses, so its first segments show before the rest is decoded.
        """
        windows = file_windows(path, scan, options.window_seconds)
        if options.early_segments and scan.duration <= self.CHUNK_SECONDS:
            bounds = early_clips(scan.speech, scan.duration)
            windows = read_spans(path, scan, list(zip(bounds[::2], bounds[1::2], strict=True)))
        return self.transcribe_windows(windows, scan.duration, options, on_segment, on_progress)

    def transcribe_windows(
        self,
        windows: Iterable[tuple[float, np.ndarray]],
        duration: float,
        options: DecodeOptions,
        on_segment: Callable[[Segment], None],
        on_progress: Callable[[float], None],
    ) -> str | None:
        """Decode each (offset, samples) window in pieces of CHUNK_SECONDS cut at quiet points."""
        language = options.language
        with torch.inference_mode():
            for offset, samples in windows:
                for start, piece in _pieces(samples, self.CHUNK_SECONDS):
                    for segment in self.decode(piece, offset + start, options):
                        on_segment(segment)
                    end = offset + start + len(piece) / SAMPLE_RATE
                    on_progress(end / duration if duration else 1.0)
        return language


class TransformersWhisper(_TransformersEngine):
    """Whisper: timestamped segments, word timings from cross-attention, language detection."""

    ARCHITECTURE = "WhisperForConditionalGeneration"

    def __init__(self, model_dir: Path, precision: str):
        super().__init__(model_dir, precision)
        generation = self.model.generation_config
        self.multilingual = bool(getattr(generation, "is_multilingual", False))
        self.id_to_language = {v: k.strip("<|>") for k, v in
                               (getattr(generation, "lang_to_id", None) or {}).items()}
        _keep_encoder_attentions_out(self.model.get_encoder())

    def transcribe_windows(self, windows, duration, options, on_segment, on_progress):
        """Whisper walks its own 30 s window through each long window (transformers' long-form
        decoding); the last text of a window is the prompt of the next."""
        language = options.language if self.multilingual else "en"
        prompt = None
        with torch.inference_mode():
            for offset, samples in windows:
                features = self._features(samples)
                if language is None:
                    language = self.detect_language(features["input_features"])

                def monitor(p: torch.Tensor, offset=offset) -> None:
                    done = offset + float(p[0, 0]) / 100.0
                    on_progress(min(done / duration, 1.0) if duration else 1.0)

                for segment in self._generate(features, offset, language, prompt, options,
                                              monitor):
                    on_segment(segment)
                    prompt = segment.text
                end = offset + len(samples) / SAMPLE_RATE
                on_progress(end / duration if duration else 1.0)
        return language

    def embed_spans(self, samples: np.ndarray, spans: np.ndarray) -> np.ndarray:
        """The audio encoded once; each span the mean of its encoder frames (not the padding)."""
        features = self._features(samples[: self.features.n_samples])["input_features"]
        with torch.inference_mode():
            hidden = self.model.get_encoder()(features.to(self.dtype)).last_hidden_state[0]
        return pool_frames(hidden.float().numpy(), spans, encoder_frames(len(samples)))

    def detect_language(self, input_features: torch.Tensor) -> str:
        lang_id = self.model.detect_language(input_features[:, :, :3000].to(self.dtype))
        return self.id_to_language[int(lang_id[0])]

    def _features(self, samples: np.ndarray) -> dict[str, torch.Tensor]:
        long_form = len(samples) > self.features.n_samples
        return self.features(
            samples, sampling_rate=SAMPLE_RATE, return_tensors="pt", return_attention_mask=True,
            truncation=not long_form, padding="longest" if long_form else "max_length",
        )

    def _generate(self, features, offset, language, prompt, options, monitor) -> list[Segment]:
        word_timestamps = options.word_timestamps
        task = options.task if self.multilingual else None
        kwargs: dict[str, Any] = {}
        if self.multilingual:
            kwargs.update(language=language, task=task)
        if prompt and options.condition_on_previous_text:
            kwargs["prompt_ids"] = torch.tensor(self.tokenizer.get_prompt_ids(prompt.strip()))
        # The temperature fallback samples: a fixed seed gives the same file the same text.
        torch.manual_seed(0)
        out = self.model.generate(
            features["input_features"].to(self.dtype),
            attention_mask=features["attention_mask"],
            num_beams=options.beam_size,
            return_timestamps=True,
            return_segments=True,
            return_token_timestamps=word_timestamps,
            condition_on_prev_tokens=options.condition_on_previous_text,
            temperature=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
            compression_ratio_threshold=1.35,  # transformers measures it on token bytes
            logprob_threshold=-1.0,
            no_speech_threshold=0.6,
            monitor_progress=monitor,
            **kwargs,
        )
        segments: list[Segment] = []
        for raw in out["segments"][0]:
            segment = self._segment(raw, offset, word_timestamps,
                                    segments[-1].end if segments else offset)
            if segment.text.strip():
                segments.append(segment)
        return segments

    def _segment(self, raw: dict, offset: float, word_timestamps: bool, floor: float) -> Segment:
        """Text and word timings of one segment; no word starts before `floor`."""
        tokens = raw["tokens"].tolist()
        text_at = [i for i, t in enumerate(tokens) if t < self.model.generation_config.eos_token_id]
        start, end = offset + float(raw["start"]), offset + float(raw["end"])
        text = self.tokenizer.decode([tokens[i] for i in text_at])
        words = []
        if word_timestamps and text_at:
            times = (offset + raw["token_timestamps"].double()).tolist()
            for first, last in _word_spans([self.tokenizer.decode([tokens[i]]) for i in text_at]):
                pieces = [tokens[i] for i in text_at[first:last + 1]]
                after = text_at[last] + 1
                w_start = max(times[text_at[first]], words[-1].end if words else floor)
                w_end = max(times[after] if after < len(times) else end, w_start)
                words.append(Word(round(w_start, 3), round(w_end, 3),
                                  self.tokenizer.decode(pieces)))
        if words:  # the words' alignment is finer than Whisper's timestamp tokens
            start, end = words[0].start, words[-1].end
        return Segment(start=round(start, 3), end=round(end, 3), text=text, words=words)


class TransformersCTC(_TransformersEngine):
    """Wav2Vec2 CTC: greedy decoding, word timings from the frames each word's letters own."""

    ARCHITECTURE = "Wav2Vec2ForCTC"
    CHUNK_SECONDS = TRANSFORMERS_WINDOW_SECONDS["wav2vec2"]
    PAUSE_SECONDS = 1.0  # a silence this long between words starts a new segment

    def decode(self, samples, offset, options):
        inputs = self.features(samples, sampling_rate=SAMPLE_RATE, return_tensors="pt")
        logits = self.model(inputs["input_values"].to(self.dtype)).logits[0]
        ids = logits.float().argmax(dim=-1).tolist()
        frame = math.prod(self.model.config.conv_stride) / SAMPLE_RATE
        tokenizer = self.tokenizer
        delimiter = tokenizer.word_delimiter_token
        silent = set(tokenizer.all_special_ids) - {tokenizer.convert_tokens_to_ids(delimiter)}
        words = ctc_words(ids, tokenizer.convert_ids_to_tokens(list(range(len(tokenizer)))),
                          silent, delimiter, frame, offset)
        return _group_words(words, self.PAUSE_SECONDS)


class TransformersMoonshine(_TransformersEngine):
    """Moonshine: one segment per piece of audio, without word timings."""

    ARCHITECTURE = "MoonshineForConditionalGeneration"
    CHUNK_SECONDS = TRANSFORMERS_WINDOW_SECONDS["moonshine"]
    TOKENS_PER_SECOND = 6.5  # Moonshine's own bound on output length

    def decode(self, samples, offset, options):
        inputs = self.features(samples, sampling_rate=SAMPLE_RATE, return_tensors="pt",
                               return_attention_mask=True)
        seconds = len(samples) / SAMPLE_RATE
        ids = self.model.generate(
            inputs["input_values"].to(self.dtype),
            attention_mask=inputs.get("attention_mask"),
            max_new_tokens=max(4, math.ceil(seconds * self.TOKENS_PER_SECOND)),
            num_beams=options.beam_size,
        )
        text = self.tokenizer.decode(ids[0], skip_special_tokens=True)
        if not text.strip():
            return []
        return [Segment(start=round(offset, 3), end=round(offset + seconds, 3), text=text)]


def model_bytes(model: torch.nn.Module) -> int:
    """Bytes held by the model's tensors, including dynamically quantized Linear weights."""
    seen: set[int] = set()
    total = 0
    tensors: list[torch.Tensor] = [*model.parameters(), *model.buffers()]
    for module in model.modules():
        if isinstance(module, torch.ao.nn.quantized.dynamic.Linear):
            weight, bias = module._packed_params._weight_bias()
            tensors += [weight] + ([bias] if bias is not None else [])
    for tensor in tensors:
        key = tensor.untyped_storage().data_ptr() if not tensor.is_quantized else id(tensor)
        if key not in seen:
            seen.add(key)
            total += tensor.numel() * tensor.element_size()
    return total


def _keep_encoder_attentions_out(encoder: torch.nn.Module) -> None:
    """Word timings need the decoder's cross-attentions; transformers then also keeps every
    encoder self-attention map (layers x heads x 1500^2 floats per 30 s), which is dropped here."""
    forward = encoder.forward

    def without_attentions(*args: Any, **kwargs: Any) -> Any:
        kwargs["output_attentions"] = False
        return forward(*args, **kwargs)

    encoder.forward = without_attentions


def _pieces(samples: np.ndarray, seconds: float) -> Iterator[tuple[float, np.ndarray]]:
    """(offset, samples) pieces of at most about `seconds`, cut at the quietest moment."""
    search = min(2.0, seconds / 10)
    return iter_windows([samples], window_seconds=seconds - search, search_seconds=search)


def _word_spans(pieces: list[str]) -> list[tuple[int, int]]:
    """(first, last) token indices of each word: a token starting with a space starts a word."""
    spans: list[tuple[int, int]] = []
    for i, piece in enumerate(pieces):
        if not spans or (piece.startswith(" ") and piece.strip()):
            spans.append((i, i))
        else:
            spans[-1] = (spans[-1][0], i)
    return spans


def ctc_words(
    ids: list[int], tokens: list[str], silent: set[int], delimiter: str, frame: float,
    offset: float,
) -> list[Word]:
    """Greedy CTC: repeated frames collapse, blank and special ids drop, the delimiter ends a
    word. A word lasts from its first letter's first frame to its last letter's last frame."""
    words: list[Word] = []
    letters, start, end, previous = "", 0, 0, None

    def flush() -> None:
        if letters:
            words.append(Word(round(offset + start * frame, 3), round(offset + end * frame, 3),
                              letters))

    for index, token_id in enumerate(ids):
        repeat, previous = token_id == previous, token_id
        if token_id in silent:
            continue
        if tokens[token_id] == delimiter:
            flush()
            letters = ""
        elif repeat:
            end = index + 1
        else:
            if not letters:
                start = index
            letters, end = letters + tokens[token_id], index + 1
    flush()
    return words


def _group_words(words: list[Word], pause: float) -> list[Segment]:
    """Segments of words, split where the speaker pauses."""
    groups: list[list[Word]] = []
    for word in words:
        if not groups or word.start - groups[-1][-1].end >= pause:
            groups.append([])
        groups[-1].append(word)
    return [Segment(start=g[0].start, end=g[-1].end, text=" ".join(w.word for w in g), words=g)
            for g in groups]

