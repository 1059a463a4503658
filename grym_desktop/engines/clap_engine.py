"""CLAP on PyTorch through transformers: audio and text embeddings in one shared space.

Runs only inside the model host, loaded by engines.load_engine for a transformers folder
whose config.json names ClapModel. Safetensors weights from a local folder, never remote code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soxr
import torch
from transformers import ClapModel, ClapProcessor

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.engines.transformers_engine import _DTYPES, model_bytes
from grym_desktop.memory.heap import trim_heap
from grym_desktop.models.footprint import CLAP_BATCH

CLAP_RATE = 48000  # ClapFeatureExtractor's rate: the 16 kHz audio is resampled to it
BATCH = CLAP_BATCH  # pieces of audio, or texts, per forward pass (as the estimate counts)


class ClapEngine:
    """A loaded ClapModel and its processor: embed_spans (audio tower) and embed_text."""

    mel_filters = None

    def __init__(self, model_dir: Path, precision: str):
        self.precision, self.dtype = precision, _DTYPES[precision]
        model = ClapModel.from_pretrained(
            str(model_dir), dtype=self.dtype, use_safetensors=True, trust_remote_code=False,
            local_files_only=True, disable_mmap=True,
        )
        self.model = model.eval()
        self.processor = ClapProcessor.from_pretrained(
            str(model_dir), local_files_only=True, trust_remote_code=False)
        features = self.processor.feature_extractor
        if features.sampling_rate != CLAP_RATE:
            raise ValueError(f"the CLAP feature extractor expects {features.sampling_rate} Hz "
                             f"audio; this engine feeds it {CLAP_RATE} Hz")
        # Audio longer than the extractor's window (10 s) is embedded in pieces and averaged,
        # never cut at random (its "rand_trunc"): the same audio always gives the same vector.
        self.piece_samples = int(features.nb_max_samples * SAMPLE_RATE / CLAP_RATE)
        text = self.model.config.text_config
        self.max_tokens = min(self.processor.tokenizer.model_max_length,
                              text.max_position_embeddings - 2)
        self.footprint_bytes = model_bytes(model)
        trim_heap()

    def embed_spans(self, samples: np.ndarray, spans: np.ndarray) -> np.ndarray:
        """One unit vector per span: its pieces of up to 10 s through the audio tower, averaged
        by length."""
        pieces: list[np.ndarray] = []
        owner: list[int] = []
        for index, (start, end) in enumerate(spans):
            lo = min(int(round(start * SAMPLE_RATE)), len(samples) - 1)
            hi = max(int(round(end * SAMPLE_RATE)), lo + 1)
            for at in range(lo, hi, self.piece_samples):
                pieces.append(samples[at:min(at + self.piece_samples, hi)])
                owner.append(index)
        vectors = np.concatenate([self._audio_batch(pieces[i:i + BATCH])
                                  for i in range(0, len(pieces), BATCH)])
        weights = np.array([len(p) for p in pieces], np.float64)
        out = np.zeros((len(spans), vectors.shape[1]), np.float64)
        np.add.at(out, np.array(owner), vectors * weights[:, None])
        return _unit(out)

    def embed_text(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text from the text tower, in the audio vectors' space."""
        return np.concatenate([self._text_batch(texts[i:i + BATCH])
                               for i in range(0, len(texts), BATCH)])

    def _audio_batch(self, pieces: list[np.ndarray]) -> np.ndarray:
        # soxr (the decoder's resampler) rather than scipy, which the app does not depend on
        resampled = [soxr.resample(p, SAMPLE_RATE, CLAP_RATE) for p in pieces]
        inputs = self.processor.feature_extractor(resampled, sampling_rate=CLAP_RATE,
                                                  return_tensors="pt")
        with torch.inference_mode():
            out = self.model.get_audio_features(
                input_features=inputs["input_features"].to(self.dtype),
                is_longer=inputs.get("is_longer"))
        return out.pooler_output.float().numpy()

    def _text_batch(self, texts: list[str]) -> np.ndarray:
        tokens = self.processor.tokenizer(texts, padding=True, truncation=True,
                                          max_length=self.max_tokens, return_tensors="pt")
        with torch.inference_mode():
            out = self.model.get_text_features(input_ids=tokens["input_ids"],
                                               attention_mask=tokens["attention_mask"])
        return out.pooler_output.float().numpy()


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
