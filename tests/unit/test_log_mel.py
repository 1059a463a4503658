"""The streamed log-mel features equal faster-whisper's features of the whole file."""

from __future__ import annotations

import numpy as np
import pytest
from faster_whisper.feature_extractor import FeatureExtractor

from grym_desktop.audio.log_mel import StreamedFeatures, frame_count, log_mel_blocks

EXTRACTOR = FeatureExtractor()


def chunked(x: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    out, i, k = [], 0, 0
    while i < len(x):
        out.append(x[i : i + sizes[k % len(sizes)]])
        i += sizes[k % len(sizes)]
        k += 1
    return out


@pytest.mark.parametrize("samples", [150, 401, 16000, 16000 * 95 + 37])
def test_streamed_features_match_the_whole_file_features(samples):
    rng = np.random.default_rng(samples)
    x = (rng.standard_normal(samples) * 0.1).astype(np.float32)
    x[: samples // 3] *= 1e-4  # a quiet start, so the floor from the file's peak matters
    whole = EXTRACTOR(x)
    blocks = list(log_mel_blocks(chunked(x, [7, 333, 480000]), EXTRACTOR.mel_filters))
    peak = max(float(b.max()) for b in blocks if b.size)
    features = StreamedFeatures(iter(blocks), frame_count(samples), peak)
    assert features.shape == whole.shape
    for start in range(0, whole.shape[1], 2500):  # forward, overlapping reads like the decoder
        np.testing.assert_allclose(features[:, start : start + 3000],
                                   whole[:, start : start + 3000], atol=1e-5)


def test_reading_frames_already_dropped_is_an_error():
    x = np.zeros(16000 * 40, np.float32)
    blocks = log_mel_blocks(chunked(x, [16000 * 30]), EXTRACTOR.mel_filters)
    features = StreamedFeatures(blocks, frame_count(len(x)), 0.0)
    features[:, 1000:4000]
    with pytest.raises(IndexError):
        features[:, 0:3000]
