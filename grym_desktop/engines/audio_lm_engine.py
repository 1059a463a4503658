"""Audio language models on transformers: a question about a recording in, an answer streamed out.

Qwen2-Audio, Voxtral and Granite Speech through transformers' own model classes, loaded by
engines.load_engine for a transformers folder whose config.json names one of them. Runs only
inside the model host; safetensors weights from a local folder, never remote code.
"""

from __future__ import annotations

import copy
import json
import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
import transformers
from safetensors.torch import load_file
from transformers import AutoProcessor, AutoTokenizer
from transformers.audio_utils import mel_filter_bank
from transformers.generation.stopping_criteria import StoppingCriteria, StoppingCriteriaList
from transformers.generation.streamers import BaseStreamer

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.engines.transformers_engine import _DTYPES, model_bytes
from grym_desktop.errors import GrymError, InputError
from grym_desktop.memory.heap import trim_heap
from grym_desktop.models.footprint import ASK_ANSWER_TOKENS, ASK_PROMPT_TOKENS, ASK_WINDOW_SECONDS

# The architecture config.json names -> the prompt builder's key.
ARCHITECTURES = {
    "Qwen2AudioForConditionalGeneration": "qwen2_audio",
    "VoxtralForConditionalGeneration": "voxtral",
    "GraniteSpeechForConditionalGeneration": "granite_speech",
}
# The audio one question is asked of: the memory estimate's part (footprint.py). Qwen2-Audio's
# processor cuts at 30 s and Granite Speech was trained on utterances of up to about that;
# Voxtral's processor would take any length in 30 s chunks of 375 audio tokens, at the cost of
# a cache the estimate would have to plan for.
WINDOW_SECONDS = {"qwen2_audio": min(ASK_WINDOW_SECONDS, 30.0), "voxtral": ASK_WINDOW_SECONDS,
                  "granite_speech": ASK_WINDOW_SECONDS}
INT8_KINDS = ("qwen2_audio", "voxtral", "granite_speech")  # measured: see the tests
REPETITION_PENALTY = 1.1
_TIME = re.compile(r"^\s*\[?\s*(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d+)?)")


class _Stopped(Exception):
    """Raised from inside the model's forward pass when a stop is requested."""


class AudioLMEngine:
    """A loaded audio language model and its processor: ask(samples, question, ...)."""

    mel_filters = None

    def __init__(self, model_dir: Path, precision: str):
        model_dir = Path(model_dir)
        config = json.loads((model_dir / "config.json").read_text())
        named = config.get("architectures") or []
        architecture = next((a for a in named if a in ARCHITECTURES), None)
        if architecture is None:
            raise ValueError(f"the architecture {', '.join(named) or 'unknown'} is not an audio "
                             "language model")
        self.kind = ARCHITECTURES[architecture]
        if precision == "int8" and self.kind not in INT8_KINDS:
            raise ValueError(f"int8 does not work for {architecture}; use float32 or bfloat16")
        self.precision, self.dtype = precision, _DTYPES[precision]
        self.window_seconds = WINDOW_SECONDS[self.kind]
        # int8 quantizes from the checkpoint's own bfloat16 (all three real ones are): loading
        # never holds the float32 model, twice the size.
        stored = config.get("dtype") or config.get("torch_dtype")
        load_dtype = torch.bfloat16 if precision == "int8" and stored == "bfloat16" else self.dtype
        model = getattr(transformers, architecture).from_pretrained(
            str(model_dir), dtype=load_dtype, use_safetensors=True, trust_remote_code=False,
            local_files_only=True, disable_mmap=True,
        )
        self.model = model.eval()
        self.lora_layers = merge_lora(model, model_dir) if self.kind == "granite_speech" else 0
        if precision == "int8":
            quantize_int8(model)
        self._load_processor(model_dir)
        self.generation = _greedy(model.generation_config)
        self.audio_token_id = model.config.audio_token_id
        # The chat template's own tokens (system prompt, roles) around an empty question.
        self.template_tokens = self._text_tokens(self._inputs(np.zeros(SAMPLE_RATE, np.float32),
                                                              "")["input_ids"])
        self.footprint_bytes = model_bytes(model)
        trim_heap()

    def _load_processor(self, model_dir: Path) -> None:
        if self.kind == "granite_speech":
            # GraniteSpeechFeatureExtractor needs torchaudio: the features are computed here.
            self.features = GraniteFeatures(model_dir)
            self.tokenizer = AutoTokenizer.from_pretrained(
                str(model_dir), local_files_only=True, trust_remote_code=False)
            self.audio_token = self.tokenizer.convert_ids_to_tokens(
                self.model.config.audio_token_id)
            return
        self.processor = AutoProcessor.from_pretrained(
            str(model_dir), local_files_only=True, trust_remote_code=False)
        self.tokenizer = self.processor.tokenizer

    def ask(
        self,
        samples: np.ndarray,
        question: str,
        context: str | None,
        max_new_tokens: int,
        on_token: Callable[[str], None],
        should_stop: Callable[[], bool],
        offset: float = 0.0,
    ) -> dict[str, Any]:
        """Answer `question` about 16 kHz mono `samples`, streaming the text to on_token.

        Audio longer than window_seconds is asked in parts of equal length, each answer labelled
        with its part's times (from `offset`, where the samples start in the recording);
        `context` (a transcript) goes before the question, only its lines inside the part when
        they start with a time. max_new_tokens bounds each part's answer. should_stop() is
        checked before every module of the model runs, so a stop ends even a long prompt pass.
        The text around the audio (template, question, transcript) is held to ASK_PROMPT_TOKENS
        and the answer to ASK_ANSWER_TOKENS, as the memory estimate plans; the transcript is cut.
        """
        if not 1 <= max_new_tokens <= ASK_ANSWER_TOKENS:
            raise InputError(f"An answer may be 1 to {ASK_ANSWER_TOKENS} tokens long.")
        started = time.perf_counter()
        bounds = part_bounds(len(samples) / SAMPLE_RATE, self.window_seconds)
        parts: list[dict[str, Any]] = []
        tokens = prompt_tokens = audio_tokens = 0
        with _stop_checks(should_stop), torch.inference_mode():
            for start, end in bounds:
                if should_stop():
                    break
                span = (offset + start, offset + end) if len(bounds) > 1 else None
                if span is not None:
                    on_token(("\n" if parts else "") + f"{clock(span[0])}–{clock(span[1])}: ")
                piece = samples[round(start * SAMPLE_RATE):round(end * SAMPLE_RATE)]
                text = self._prompt(question, context_for(context, offset + start, offset + end),
                                    span)
                inputs = self._inputs(piece, text)
                prompt_tokens += int(inputs["input_ids"].shape[1])
                audio_tokens += int(inputs["input_ids"].shape[1]) - self._text_tokens(
                    inputs["input_ids"])
                answer, count = self._generate(inputs, max_new_tokens, on_token, should_stop)
                tokens += count
                parts.append({"start": round(offset + start, 3), "end": round(offset + end, 3),
                              "answer": answer.strip()})
        stopped = bool(should_stop())
        return {
            "answer": merge_answers(parts),
            "parts": parts,
            "tokens": tokens,
            "prompt_tokens": prompt_tokens,
            "audio_tokens": audio_tokens,
            "stopped": stopped,
            "seconds": time.perf_counter() - started,
            "window_seconds": self.window_seconds,
            "note": part_note(len(bounds), self.window_seconds, len(parts) < len(bounds)),
        }

    def _generate(
        self, inputs: dict[str, torch.Tensor], max_new_tokens: int,
        on_text: Callable[[str], None], should_stop: Callable[[], bool],
    ) -> tuple[str, int]:
        """Greedy decoding of one part: (answer, tokens made); ends early on a stop."""
        streamer = _TextStreamer(self._decode, on_text)
        try:
            self.model.generate(
                **inputs, generation_config=self.generation, max_new_tokens=max_new_tokens,
                streamer=streamer, stopping_criteria=StoppingCriteriaList([_StopWhen(should_stop)]),
            )
        except _Stopped:
            pass
        streamer.end()
        return self._decode(streamer.ids), len(streamer.ids)

    def _inputs(self, samples: np.ndarray, text: str) -> dict[str, torch.Tensor]:
        """The model's inputs for one part of the audio and the question text."""
        inputs = dict(getattr(self, f"_{self.kind}_inputs")(samples, text))
        inputs["input_features"] = inputs["input_features"].to(self.dtype)
        return inputs

    def _qwen2_audio_inputs(self, samples: np.ndarray, text: str) -> Any:
        conversation = [{"role": "user", "content": [
            {"type": "audio", "audio": "recording"}, {"type": "text", "text": text}]}]
        prompt = self.processor.apply_chat_template(conversation, add_generation_prompt=True,
                                                    tokenize=False)
        return self.processor(text=prompt, audio=[samples], sampling_rate=SAMPLE_RATE,
                              return_tensors="pt")

    def _voxtral_inputs(self, samples: np.ndarray, text: str) -> dict[str, torch.Tensor]:
        """mistral-common's chat encoding, written out: <s>[INST][BEGIN_AUDIO][AUDIO]... text
        [/INST], the audio padded to whole 30 s chunks. mistral-common itself is not needed (it
        pins numpy below this app's); transformers reads tekken.json without it."""
        extractor = self.processor.feature_extractor
        features = extractor(samples, sampling_rate=SAMPLE_RATE, padding=True, truncation=False,
                             pad_to_multiple_of=extractor.n_samples, return_attention_mask=False,
                             return_tensors="pt")["input_features"]
        frames = extractor.nb_max_frames
        chunks = features.shape[-1] // frames
        features = features.reshape(extractor.feature_size, chunks, frames).transpose(0, 1)
        audio = self.model.config.audio_config
        per_chunk = frames // 2 // (audio.intermediate_size // audio.hidden_size)
        ids = (self.tokenizer.convert_tokens_to_ids(["<s>", "[INST]", "[BEGIN_AUDIO]"])
               + [self.model.config.audio_token_id] * (chunks * per_chunk)
               + self.tokenizer.encode(text, add_special_tokens=False)
               + self.tokenizer.convert_tokens_to_ids(["[/INST]"]))
        input_ids = torch.tensor([ids])
        return {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids),
                "input_features": features}

    def _granite_speech_inputs(self, samples: np.ndarray, text: str) -> dict[str, torch.Tensor]:
        features, audio_tokens = self.features(samples)
        prompt = self.tokenizer.apply_chat_template(
            [{"role": "user", "content": self.audio_token + text}], add_generation_prompt=True,
            tokenize=False)
        prompt = prompt.replace(self.audio_token, self.audio_token * audio_tokens, 1)
        encoded = self.tokenizer(prompt, return_tensors="pt")
        return {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"],
                "input_features": features}

    def _decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True)

    def _prompt(self, question: str, context: str | None, span: tuple[float, float] | None) -> str:
        """prompt_text with the transcript cut so that the text around the audio, template
        included, stays within ASK_PROMPT_TOKENS; InputError if the question alone does not."""
        bare = prompt_text(question, None, span)
        room = ASK_PROMPT_TOKENS - self.template_tokens - len(self._encode(bare))
        if room < 0:
            raise InputError(f"The question is too long for this model: at most "
                             f"{ASK_PROMPT_TOKENS - self.template_tokens} tokens.")
        if not context:
            return bare
        # the transcript's heading and blank lines, and a little for merges across the joins
        room -= len(self._encode(prompt_text(question, ".", span))) - len(self._encode(bare)) + 4
        if room <= 0:
            return bare
        ids = self._encode(context)
        return prompt_text(question, context if len(ids) <= room else self._decode(ids[:room]),
                           span)

    def _encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def _text_tokens(self, input_ids: torch.Tensor) -> int:
        """Tokens of a prompt that are not audio placeholders."""
        return int((input_ids != self.audio_token_id).sum())

    def transcribe_file(self, *_args: Any, **_kwargs: Any) -> Any:
        raise GrymError(_NOT_SPEECH)

    transcribe_clip = transcribe_array = embed_spans = transcribe_file


_NOT_SPEECH = ("This audio language model answers questions about recordings; transcribe and "
               "embed with a speech recognition or embedding model.")


class GraniteFeatures:
    """GraniteSpeechFeatureExtractor's features without torchaudio (not installable beside
    this torch): the same log-mel with torch.stft and transformers' HTK mel filter bank, two
    frames stacked, and the same count of audio tokens."""

    def __init__(self, model_dir: Path):
        path = Path(model_dir) / "preprocessor_config.json"
        config = json.loads(path.read_text()) if path.is_file() else {}
        mel = {**config, **(config.get("melspec_kwargs") or {})}
        self.rate = int(mel.get("sample_rate", mel.get("sampling_rate", SAMPLE_RATE)))
        if self.rate != SAMPLE_RATE:
            raise ValueError(f"the Granite Speech features expect {self.rate} Hz audio")
        self.n_fft, self.hop = int(mel.get("n_fft", 512)), int(mel.get("hop_length", 160))
        self.n_mels = int(mel.get("n_mels", 80))
        self.window = torch.hann_window(int(mel.get("win_length", 400)))  # periodic, as torchaudio
        self.filters = torch.from_numpy(mel_filter_bank(
            num_frequency_bins=self.n_fft // 2 + 1, num_mel_filters=self.n_mels,
            min_frequency=0.0, max_frequency=self.rate / 2, sampling_rate=self.rate, norm=None,
            mel_scale="htk")).float()
        self.block = int(config.get("projector_window_size", 15))
        self.per_block = self.block // int(config.get("projector_downsample_rate", 5))

    def __call__(self, samples: np.ndarray) -> tuple[torch.Tensor, int]:
        """(features (1, frames / 2, 2 * n_mels), audio tokens the projector makes of them)."""
        audio = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))
        power = torch.stft(audio, self.n_fft, self.hop, self.window.shape[0], self.window,
                           center=True, pad_mode="reflect", return_complex=True).abs().pow(2)
        logmel = (power.T @ self.filters).clamp(min=1e-10).log10()
        logmel = torch.maximum(logmel, logmel.max() - 8.0) / 4 + 1
        logmel = logmel[: logmel.shape[0] // 2 * 2]
        features = logmel.reshape(1, -1, 2 * self.n_mels)
        encoder_frames = (len(samples) // self.hop + 1) // 2
        return features, math.ceil(encoder_frames / self.block) * self.per_block


def merge_lora(model: torch.nn.Module, model_dir: Path) -> int:
    """Merge the folder's LoRA adapter (Granite Speech ships one for audio input) into the
    weights: W += B·A·alpha/r. transformers applies it only through peft and only when audio
    is given; every question here has audio. Returns the number of layers changed."""
    config_path = model_dir / "adapter_config.json"
    weights_path = model_dir / "adapter_model.safetensors"
    if not (config_path.is_file() and weights_path.is_file()):
        return 0
    config = json.loads(config_path.read_text())
    rank = int(config["r"])
    scale = config["lora_alpha"] / (math.sqrt(rank) if config.get("use_rslora") else rank)
    pairs: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in load_file(str(weights_path)).items():
        match = re.fullmatch(r"(.+)\.(lora_[AB])(?:\.default)?\.weight", key)
        if match is None:
            raise ValueError(f"its LoRA adapter holds {key}, which is not a LoRA weight")
        pairs.setdefault(_plain(match[1]), {})[match[2]] = tensor
    linears = {_plain(name): module for name, module in model.named_modules()
               if isinstance(module, torch.nn.Linear)}
    with torch.no_grad():
        for name, pair in pairs.items():
            module = linears.get(name)
            if module is None or len(pair) != 2:
                raise ValueError(f"its LoRA adapter names a layer the model lacks ({name})")
            delta = pair["lora_B"].float() @ pair["lora_A"].float() * scale
            module.weight.copy_((module.weight.float() + delta).to(module.weight.dtype))
    return len(pairs)


def quantize_int8(model: torch.nn.Module) -> None:
    """Dynamic int8 quantization of every nn.Linear; all else, and the Linears' biases (kept
    as loaded), in float32, which the int8 kernels compute beside."""
    torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, torch.qint8, inplace=True)
    model.float()
    for module in model.modules():
        if isinstance(module, torch.ao.nn.quantized.dynamic.Linear):
            weight, bias = module._packed_params._weight_bias()
            if bias is not None and bias.dtype != torch.float32:
                module.set_weight_bias(weight, bias.float())


def _plain(name: str) -> str:
    """A module path without the wrappers that differ between peft, old and new checkpoints."""
    return ".".join(p for p in name.split(".") if p not in ("base_model", "model"))


def _greedy(generation: Any) -> Any:
    """The model's generation settings made greedy: the same audio and question, the same answer."""
    config = copy.deepcopy(generation)
    config.do_sample, config.num_beams = False, 1
    config.temperature = config.top_p = config.top_k = None
    config.repetition_penalty = REPETITION_PENALTY
    if config.pad_token_id is None:
        eos = config.eos_token_id
        config.pad_token_id = eos[0] if isinstance(eos, list) else eos
    return config


class _TextStreamer(BaseStreamer):
    """Decodes the tokens generate() makes and hands each new piece of text to on_text."""

    def __init__(self, decode: Callable[[list[int]], str], on_text: Callable[[str], None]):
        self.decode, self.on_text = decode, on_text
        self.ids: list[int] = []
        self.text = ""
        self.prompt_seen = False

    def put(self, value: torch.Tensor) -> None:
        if not self.prompt_seen:  # generate() first passes the prompt
            self.prompt_seen = True
            return
        self.ids.extend(value.reshape(-1).tolist())
        self._flush(final=False)

    def end(self) -> None:
        self._flush(final=True)

    def _flush(self, final: bool) -> None:
        text = self.decode(self.ids)
        if not final and text.endswith("\ufffd"):  # a character split between tokens
            return
        if text.startswith(self.text) and len(text) > len(self.text):
            self.on_text(text[len(self.text):])
        self.text = text


class _StopWhen(StoppingCriteria):
    def __init__(self, should_stop: Callable[[], bool]):
        self.should_stop = should_stop

    def __call__(self, input_ids: torch.Tensor, scores: Any, **_: Any) -> torch.Tensor:
        return torch.full((input_ids.shape[0],), bool(self.should_stop()), dtype=torch.bool)


@contextmanager
def _stop_checks(should_stop: Callable[[], bool]) -> Iterator[None]:
    """Check should_stop() before every module runs: a stop requested during the long prompt
    pass (or the audio encoder) ends it after the module running then, not after the pass."""
    def check(_module: torch.nn.Module, _args: Any) -> None:
        if should_stop():
            raise _Stopped

    handle = torch.nn.modules.module.register_module_forward_pre_hook(check)
    try:
        yield
    finally:
        handle.remove()


def part_bounds(duration: float, window: float) -> list[tuple[float, float]]:
    """(start, end) seconds of equal parts of at most `window` covering the audio."""
    count = max(1, math.ceil(duration / window - 1e-9))
    return [(duration * i / count, duration * (i + 1) / count) for i in range(count)]


def context_for(context: str | None, start: float, end: float) -> str | None:
    """The lines of a transcript that belong to [start, end): a line starting with a time
    ("[1:05]", "0:01:05.2 ...") belongs where it starts (from 5 s before the part, which may
    run into it); lines without a time are kept. Without any timed line, all of it."""
    if not context or not context.strip():
        return None
    lines = context.strip().splitlines()
    times = [_line_time(line) for line in lines]
    if all(t is None for t in times):
        return context.strip()
    kept = [line for line, t in zip(lines, times, strict=True)
            if t is None or start - 5.0 <= t < end]
    return "\n".join(kept) if any(t is not None and start - 5.0 <= t < end
                                  for t in times) else None


def _line_time(line: str) -> float | None:
    match = _TIME.match(line)
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)


def prompt_text(question: str, context: str | None, span: tuple[float, float] | None) -> str:
    """The text after the audio: where the part lies, the transcript, then the question."""
    blocks = []
    if span is not None:
        blocks.append(f"This audio is the part of a longer recording from {clock(span[0])} to "
                      f"{clock(span[1])}.")
    if context:
        blocks.append("Transcript of the recording (times from its start):\n" + context)
    blocks.append(question.strip())
    return "\n\n".join(blocks)


def merge_answers(parts: list[dict[str, Any]]) -> str:
    """One answer as is; several as one line per part, labelled with the part's times."""
    if len(parts) <= 1:
        return parts[0]["answer"] if parts else ""
    return "\n".join(f"{clock(p['start'])}–{clock(p['end'])}: {p['answer']}" for p in parts)


def part_note(count: int, window: float, cut_short: bool) -> str | None:
    """Said plainly when the question was asked of parts, not of the whole recording."""
    if count <= 1:
        return None
    note = (f"The recording is longer than this model hears at once ({clock(window)}), so the "
            f"question was asked of each of its {count} parts separately and the answers are "
            "listed by part.")
    return note + (" It was stopped before the last part." if cut_short else "")


def clock(seconds: float) -> str:
    """m:ss, or h:mm:ss from an hour."""
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
