"""Speaker vectors from a transformers WavLMForXVector (e.g. microsoft/wavlm-base-plus-sv).

Runs only inside the model host. Safetensors weights from a local folder, never remote code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from transformers import AutoFeatureExtractor, WavLMForXVector

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.engines.speaker_engine import unit
from grym_desktop.engines.transformers_engine import _DTYPES, model_bytes
from grym_desktop.memory.heap import trim_heap

WAVLM_MIN_SECONDS = 0.5


class WavLMXVectorEngine:
    """A WavLMForXVector from a local safetensors folder: its x-vectors for spans, unit length."""

    mel_filters = None

    def __init__(self, model_dir: Path, precision: str):
        self.precision, self.dtype = precision, _DTYPES[precision]
        model = WavLMForXVector.from_pretrained(
            str(model_dir), dtype=self.dtype, use_safetensors=True, trust_remote_code=False,
            local_files_only=True, disable_mmap=True)
        self.model = model.eval()
        if precision == "int8":
            torch.ao.quantization.quantize_dynamic(self.model, {torch.nn.Linear}, torch.qint8,
                                                   inplace=True)
        self.features = AutoFeatureExtractor.from_pretrained(
            str(model_dir), local_files_only=True, trust_remote_code=False)
        if self.features.sampling_rate != SAMPLE_RATE:
            raise ValueError(f"the WavLM feature extractor expects {self.features.sampling_rate}"
                             f" Hz audio; this engine feeds it {SAMPLE_RATE} Hz")
        self.min_samples = int(WAVLM_MIN_SECONDS * SAMPLE_RATE)
        self.footprint_bytes = model_bytes(self.model)
        trim_heap()

    def embed_spans(self, samples: np.ndarray, spans: np.ndarray) -> np.ndarray:
        """One unit x-vector per span, each span through the model on its own (no padding
        between spans: WavLM's group-normed convolutions would see it)."""
        vectors = []
        for start, end in spans:
            lo = min(int(round(start * SAMPLE_RATE)), len(samples) - 1)
            hi = max(int(round(end * SAMPLE_RATE)), lo + 1)
            piece = np.asarray(samples[lo:hi], np.float32)
            if len(piece) < self.min_samples:
                piece = np.pad(piece, (0, self.min_samples - len(piece)))
            inputs = self.features(piece, sampling_rate=SAMPLE_RATE, return_tensors="pt")
            with torch.inference_mode():
                out = self.model(input_values=inputs["input_values"].to(self.dtype))
            vectors.append(out.embeddings.float().numpy()[0])
        return unit(np.stack(vectors))
