"""Tiny random-weight audio language models (Qwen2-Audio, Voxtral, Granite Speech), built offline.

The real checkpoints (3-8 billion parameters) cannot be downloaded here: each builder takes the
real model's configuration (resources/audio_lm/*.json), shrinks every tower to two layers
(one for Granite's Q-Former) of width 32, and saves it with save_pretrained (safetensors)
beside the files a downloaded folder has, so it loads as a downloaded one does. The tokenizers
are tiny byte-level BPEs carrying the real special tokens at the real positions where the
code depends on them. Each language model head has zero rows for the special tokens, so greedy
decoding of random weights never ends early on an end token: generation runs to
max_new_tokens unless stopped.

What loads without network or extra packages: Qwen2-Audio's whole AutoProcessor; Voxtral's
AutoProcessor (its tokenizer converted from tekken.json; the chat template that places the
audio needs mistral-common); Granite's tokenizer and settings (its feature extractor needs
torchaudio even to be constructed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clap_fixture import byte_symbols as _byte_symbols

REAL_CONFIGS = Path(__file__).resolve().parents[1] / "resources" / "audio_lm"
MERGES = ("Ġ t", "h e", "Ġt he", "i n", "a n", "Ġ a", "e r", "o n", "Ġ s", "Ġ w")
SEED = 0


def _bpe_vocab() -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Every byte plus a few English merges: any text encodes, decoding gives bytes back."""
    vocab = _byte_symbols() + [m.replace(" ", "") for m in MERGES]
    return {t: i for i, t in enumerate(vocab)}, [tuple(m.split()) for m in MERGES]


def real_config(model_id: str) -> dict[str, Any]:
    """The real model's config.json content (without our "_source" note)."""
    data = json.loads((REAL_CONFIGS / f"{model_id}.json").read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}


def _shrunk(sub: dict[str, Any], **sizes: Any) -> dict[str, Any]:
    """A real sub-configuration with smaller sizes; no stored dtype (the tiny one is float32)."""
    return {**{k: v for k, v in sub.items() if k not in ("torch_dtype", "dtype")}, **sizes}


def _silence_specials(model: Any, token_ids: list[int]) -> None:
    """Zero the output rows of special tokens: random logits then never pick them greedily."""
    import torch

    head = model.get_output_embeddings()
    with torch.no_grad():
        head.weight[token_ids] = 0.0


def _save(model: Any, out: Path, generation: dict[str, Any]) -> None:
    """Save weights as safetensors and the generation settings the real model ships."""
    from transformers import GenerationConfig

    model.eval().save_pretrained(out, safe_serialization=True)
    GenerationConfig(**generation).save_pretrained(out)


# ---- Qwen2-Audio --------------------------------------------------------------------------

QWEN_SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|AUDIO|>", "<|audio_bos|>",
                 "<|audio_eos|>")


def tiny_qwen2_tokenizer() -> Any:
    """A Qwen2 byte-level BPE with the real chat and audio special tokens appended."""
    from tokenizers import AddedToken
    from transformers import Qwen2Tokenizer

    vocab, merges = _bpe_vocab()
    vocab.update({t: len(vocab) + i for i, t in enumerate(QWEN_SPECIALS)})  # the real order
    tokenizer = Qwen2Tokenizer(vocab=vocab, merges=merges, model_max_length=8192,
                               errors="replace", eos_token="<|im_end|>")
    tokenizer.add_tokens([AddedToken(t, special=True, normalized=False)
                          for t in QWEN_SPECIALS], special_tokens=True)
    tokenizer.add_special_tokens({"additional_special_tokens": list(QWEN_SPECIALS[1:])})
    return tokenizer


def build_tiny_qwen2_audio(out: Path) -> Path:
    """Qwen2AudioForConditionalGeneration of Qwen2-Audio-7B-Instruct's shape, shrunk, in `out`."""
    import torch
    from transformers import (
        Qwen2AudioConfig,
        Qwen2AudioForConditionalGeneration,
        Qwen2AudioProcessor,
        WhisperFeatureExtractor,
    )

    out, tokenizer = Path(out), tiny_qwen2_tokenizer()
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_SPECIALS}
    real = real_config("qwen2-audio-7b-instruct")
    audio = _shrunk(real["audio_config"], d_model=32, encoder_layers=2,
                    encoder_attention_heads=2, encoder_ffn_dim=64)
    text = _shrunk(real["text_config"], vocab_size=len(tokenizer), hidden_size=32,
                   intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                   num_key_value_heads=4, bos_token_id=ids["<|endoftext|>"],
                   eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"])
    config = Qwen2AudioConfig(audio_config=audio, text_config=text,
                              audio_token_index=ids["<|AUDIO|>"],
                              architectures=real["architectures"])
    torch.manual_seed(SEED)
    model = Qwen2AudioForConditionalGeneration(config)
    _silence_specials(model, list(ids.values()))
    # The real model's end and padding tokens; its sampling settings are left out (we decode
    # greedily, and a fixture should not sample).
    _save(model, out, {"bos_token_id": ids["<|endoftext|>"],
                       "eos_token_id": [ids["<|endoftext|>"], ids["<|im_end|>"]],
                       "pad_token_id": ids["<|endoftext|>"]})
    # The real preprocessor_config.json: Whisper large-v3 style, 128 mel bands, 30 s.
    features = WhisperFeatureExtractor(feature_size=128, sampling_rate=16000, hop_length=160,
                                       chunk_length=30, n_fft=400, padding_value=0.0,
                                       return_attention_mask=True)
    processor = Qwen2AudioProcessor(feature_extractor=features, tokenizer=tokenizer)
    processor.save_pretrained(out)
    return out


# ---- Voxtral ------------------------------------------------------------------------------

# Voxtral's tekken.json: 1000 special-token slots before the byte-level vocabulary; these
# ranks are the real ones (the processor hard-codes [AUDIO] = 24).
TEKKEN_SPECIALS = {0: "<unk>", 1: "<s>", 2: "</s>", 3: "[INST]", 4: "[/INST]",
                   5: "[AVAILABLE_TOOLS]", 6: "[/AVAILABLE_TOOLS]", 7: "[TOOL_RESULTS]",
                   8: "[/TOOL_RESULTS]", 9: "[TOOL_CALLS]", 10: "[IMG]", 11: "<pad>",
                   12: "[IMG_BREAK]", 13: "[IMG_END]", 14: "[PREFIX]", 15: "[MIDDLE]",
                   16: "[SUFFIX]", 17: "[SYSTEM_PROMPT]", 18: "[/SYSTEM_PROMPT]",
                   19: "[TOOL_CONTENT]", 24: "[AUDIO]", 25: "[BEGIN_AUDIO]", 32: "[ARGS]",
                   33: "[CALL_ID]", 34: "[TRANSCRIBE]"}
TEKKEN_NUM_SPECIAL = 1000
TEKKEN_PATTERN = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|"
                  r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|"
                  r"\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")
TEKKEN_MERGES = (b"th", b"he", b"in", b"an", b"er", b"on", b" t", b" a", b" s", b" w", b" the")


def write_tiny_tekken(path: Path) -> int:
    """A tekken.json (mistral-common's format) with every byte and a few merges; its size.

    Version v7 is the lowest that carries audio; a user turn with audio and text encodes the
    same in every later version.
    """
    import base64

    pieces = [bytes([b]) for b in range(256)] + list(TEKKEN_MERGES)
    vocab = [{"rank": i, "token_bytes": base64.b64encode(p).decode(),
              "token_str": p.decode("utf-8", "replace")} for i, p in enumerate(pieces)]
    specials = [{"rank": i, "token_str": TEKKEN_SPECIALS.get(i, f"<SPECIAL_{i}>"),
                 "is_control": True} for i in range(max(TEKKEN_SPECIALS) + 1)]
    size = TEKKEN_NUM_SPECIAL + len(vocab)
    # The real audio section: 16 kHz, 12.5 audio tokens a second, 128 mel bands, 30 s chunks.
    data = {"config": {"pattern": TEKKEN_PATTERN, "num_vocab_tokens": len(vocab),
                       "default_vocab_size": size,
                       "default_num_special_tokens": TEKKEN_NUM_SPECIAL, "version": "v7"},
            "vocab": vocab, "special_tokens": specials,
            "audio": {"sampling_rate": 16000, "frame_rate": 12.5, "chunk_length_s": 30.0,
                      "audio_encoding_config": {"num_mel_bins": 128, "hop_length": 160,
                                                "window_size": 400}}}
    Path(path).write_text(json.dumps(data))
    return size


def build_tiny_voxtral(out: Path) -> Path:
    """VoxtralForConditionalGeneration of Voxtral-Mini-3B-2507's shape, shrunk, in `out`."""
    import torch
    from transformers import VoxtralConfig, VoxtralForConditionalGeneration, WhisperFeatureExtractor

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    vocab_size = write_tiny_tekken(out / "tekken.json")
    real = real_config("voxtral-mini-3b")
    # The projector stacks 4 encoder frames: intermediate_size must stay 4 x hidden_size.
    audio = _shrunk(real["audio_config"], hidden_size=32, intermediate_size=128,
                    num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                    head_dim=16)
    text = _shrunk(real["text_config"], vocab_size=vocab_size, hidden_size=32,
                   intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                   num_key_value_heads=2, head_dim=8)
    config = VoxtralConfig(audio_config=audio, text_config=text,
                           audio_token_id=real["audio_token_id"],
                           projector_hidden_act=real["projector_hidden_act"],
                           architectures=real["architectures"])
    torch.manual_seed(SEED)
    model = VoxtralForConditionalGeneration(config)
    _silence_specials(model, list(range(TEKKEN_NUM_SPECIAL)))
    _save(model, out, {"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 11})
    # The real preprocessor_config.json: Whisper large-v3 style, 128 mel bands, 30 s chunks.
    features = WhisperFeatureExtractor(feature_size=128, sampling_rate=16000, hop_length=160,
                                       chunk_length=30, n_fft=400, padding_value=0.0,
                                       return_attention_mask=False)
    features.processor_class = "VoxtralProcessor"
    features.save_pretrained(out)
    return out


# ---- Granite Speech -----------------------------------------------------------------------

# Granite 3.3's special tokens: 19 at the start of the vocabulary, 8 appended after the BPE
# pieces, the last being <|audio|> (49159 in the real model).
GRANITE_HEAD = ("<|end_of_text|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>",
                "<filename>", "<gh_stars>", "<issue_start>", "<issue_comment>",
                "<issue_closed>", "<jupyter_start>", "<jupyter_text>", "<jupyter_code>",
                "<jupyter_output>", "<empty_output>", "<commit_before>", "<commit_msg>",
                "<commit_after>", "<reponame>")
GRANITE_TAIL = ("<|start_of_role|>", "<|end_of_role|>", "<|tool_call|>", "<|start_of_cite|>",
                "<|end_of_cite|>", "<|start_of_plugin|>", "<|end_of_plugin|>", "<|audio|>")
# Granite 3.3's role layout and default system prompt, without its tools, documents and
# thinking branches (a question about a recording uses none of them).
GRANITE_CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}"
    "{%- set system_message = messages[0]['content'] %}{%- set loop_messages = messages[1:] %}"
    "{%- else %}"
    "{%- set system_message = \"Knowledge Cutoff Date: April 2024.\\nToday's Date: \" + "
    "strftime_now('%B %d, %Y') + \".\\nYou are Granite, developed by IBM. You are a helpful "
    "AI assistant.\" %}{%- set loop_messages = messages %}"
    "{%- endif %}"
    "{{- '<|start_of_role|>system<|end_of_role|>' + system_message + '<|end_of_text|>\\n' }}"
    "{%- for message in loop_messages %}"
    "{{- '<|start_of_role|>' + message['role'] + '<|end_of_role|>' + message['content'] + "
    "'<|end_of_text|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_of_role|>assistant<|end_of_role|>' }}"
    "{%- endif %}")
# The real preprocessor_config.json: 80 mel bands of a 512-point FFT (25 ms window, 10 ms
# hop), stacked in pairs (160 features), projected 15 frames -> 3 tokens.
GRANITE_FEATURES = {"feature_extractor_type": "GraniteSpeechFeatureExtractor",
                    "melspec_kwargs": {"hop_length": 160, "n_fft": 512, "n_mels": 80,
                                       "sample_rate": 16000, "win_length": 400},
                    "processor_class": "GraniteSpeechProcessor",
                    "projector_downsample_rate": 5, "projector_window_size": 15,
                    "sampling_rate": 16000}


def tiny_granite_tokenizer() -> Any:
    """A Granite (GPT-2 byte-level BPE) tokenizer with the real special tokens and template."""
    from tokenizers import AddedToken
    from transformers import GPT2Tokenizer

    pieces, merges = _bpe_vocab()
    tokens = [*GRANITE_HEAD, *pieces, *GRANITE_TAIL]
    tokenizer = GPT2Tokenizer(vocab={t: i for i, t in enumerate(tokens)}, merges=merges,
                              unk_token="<|end_of_text|>", bos_token="<|end_of_text|>",
                              eos_token="<|end_of_text|>", pad_token="<|end_of_text|>",
                              model_max_length=131072, padding_side="left")
    tokenizer.add_tokens([AddedToken(t, special=True, normalized=False)
                          for t in (*GRANITE_HEAD, *GRANITE_TAIL)], special_tokens=True)
    tokenizer.chat_template = GRANITE_CHAT_TEMPLATE
    return tokenizer


def build_tiny_granite_speech(out: Path) -> Path:
    """GraniteSpeechForConditionalGeneration of granite-speech-3.3-2b's shape, shrunk, in `out`.

    GraniteSpeechFeatureExtractor needs torchaudio even to be constructed, so its
    preprocessor_config.json (and processor_config.json) are written as plain JSON: the tokenizer
    reloads with AutoTokenizer, the full AutoProcessor only where torchaudio is installed.
    The tiny model has no LoRA adapter (the real one ships one for peft), so
    has_lora_adapter is off.
    """
    import torch
    from transformers import GraniteSpeechConfig, GraniteSpeechForConditionalGeneration

    out, tokenizer = Path(out), tiny_granite_tokenizer()
    audio_id = tokenizer.convert_tokens_to_ids("<|audio|>")
    real = real_config("granite-speech-3.3-2b")
    encoder = _shrunk(real["encoder_config"], num_layers=2, hidden_dim=32, num_heads=2,
                      dim_head=16)
    projector = _shrunk(real["projector_config"], hidden_size=32, encoder_hidden_size=32,
                        num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    text = _shrunk(real["text_config"], vocab_size=len(tokenizer), hidden_size=32,
                   intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                   num_key_value_heads=2)
    config = GraniteSpeechConfig(text_config=text, encoder_config=encoder,
                                 projector_config=projector, audio_token_index=audio_id,
                                 downsample_rate=real["downsample_rate"],
                                 window_size=real["window_size"], has_lora_adapter=False,
                                 tie_word_embeddings=real["tie_word_embeddings"],
                                 architectures=real["architectures"])
    torch.manual_seed(SEED)
    model = GraniteSpeechForConditionalGeneration(config)
    # The embeddings are tied, so this also zeroes the specials' input rows: harmless in a
    # random model, and <|audio|>'s rows are replaced by the projected audio anyway.
    _silence_specials(model, tokenizer.convert_tokens_to_ids([*GRANITE_HEAD, *GRANITE_TAIL]))
    _save(model, out, {"bos_token_id": 0, "eos_token_id": 0, "pad_token_id": 0})
    tokenizer.save_pretrained(out)
    (out / "preprocessor_config.json").write_text(json.dumps(GRANITE_FEATURES, indent=2))
    (out / "processor_config.json").write_text(json.dumps(
        {"audio_token": "<|audio|>", "processor_class": "GraniteSpeechProcessor"}, indent=2))
    return out
