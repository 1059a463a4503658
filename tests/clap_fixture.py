"""A tiny random-weight CLAP (transformers' ClapModel with its processor), built offline.

The real clap-htsat-unfused cannot be downloaded here: this is its architecture (HTSAT audio
tower, RoBERTa text tower, projections to one shared space) shrunk to a few small layers, saved
with save_pretrained (safetensors) next to a byte-level BPE tokenizer and the real model's
feature extractor settings, so it loads as a downloaded one does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
MERGES = ("Ġ d", "o g", "Ġd og", "a r", "Ġ b", "Ġb ar", "k i", "n g")
PROJECTION_DIM = 32


def byte_symbols() -> list[str]:
    """GPT-2's byte-level alphabet: one printable character for each of the 256 bytes."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
                 *range(ord("®"), ord("ÿ") + 1)]
    symbols, extra = [], 0
    for b in range(256):
        if b in printable:
            symbols.append(chr(b))
        else:
            symbols.append(chr(256 + extra))
            extra += 1
    return symbols


def tiny_tokenizer() -> Any:
    """A RoBERTa byte-level BPE tokenizer with every byte and a few merges in its vocabulary."""
    from transformers import RobertaTokenizerFast

    vocab = list(SPECIALS) + byte_symbols()
    for merge in MERGES:
        vocab.append(merge.replace(" ", ""))
    tokenizer = RobertaTokenizerFast(vocab={t: i for i, t in enumerate(vocab)},
                                     merges=[tuple(m.split()) for m in MERGES],
                                     model_max_length=77)
    return tokenizer


def build_tiny_clap(out: Path, seed: int = 0) -> Path:
    """A ClapModel of clap-htsat-unfused's shape, shrunk, saved with its processor in `out`."""
    import torch
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel, ClapProcessor

    out, tokenizer = Path(out), tiny_tokenizer()
    text = {"vocab_size": len(tokenizer), "hidden_size": 32, "num_hidden_layers": 2,
            "num_attention_heads": 2, "intermediate_size": 64, "max_position_embeddings": 80,
            "projection_dim": PROJECTION_DIM, "pad_token_id": 1, "bos_token_id": 0,
            "eos_token_id": 2}
    audio = {"patch_embeds_hidden_size": 16, "hidden_size": 128, "depths": [1, 1, 1, 1],
             "num_attention_heads": [1, 2, 4, 8], "projection_dim": PROJECTION_DIM,
             "enable_fusion": False}
    config = ClapConfig(text_config=text, audio_config=audio, projection_dim=PROJECTION_DIM,
                        architectures=["ClapModel"])
    torch.manual_seed(seed)
    ClapModel(config).eval().save_pretrained(out, safe_serialization=True)
    # The real model's preprocessor_config.json: 48 kHz, 64 mel bands, 10 s, repeat-padded.
    features = ClapFeatureExtractor(feature_size=64, sampling_rate=48000, hop_length=480,
                                    max_length_s=10, fft_window_size=1024, frequency_min=50,
                                    frequency_max=14000, truncation="rand_trunc",
                                    padding="repeatpad", return_attention_mask=False)
    ClapProcessor(feature_extractor=features, tokenizer=tokenizer).save_pretrained(out)
    return out
