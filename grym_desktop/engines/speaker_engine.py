"""Speaker embeddings from the GE2E voice encoder (bundled), in torch.

Runs only inside the model host, loaded by engines.load_engine. GE2E is Resemblyzer's speaker
encoder rebuilt here: its weights come from the `resemblyzer` wheel (resemblyzer/pretrained.pt,
read with torch.load(weights_only=True)), but resemblyzer itself is never imported, because its
audio module needs webrtcvad (built from source) and librosa. Its mel front end is written out
below in numpy the way librosa computes it. WavLM x-vectors are in xvector_engine.py.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.memory.heap import trim_heap

GE2E_WEIGHTS = "pretrained.pt"
GE2E_DIM = 256
N_FFT = 400  # 25 ms window at 16 kHz
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s of audio per partial utterance
PARTIAL_RATE = 1.3  # partials per second: a step of 77 frames, about half a partial
MIN_COVERAGE = 0.75  # a last partial is kept when at least this much of it is audio
TARGET_DBFS = -30.0  # Resemblyzer's volume normalisation (raised only, never lowered)
GE2E_BATCH = 64  # partials per forward pass
INT16_MAX = 2**15 - 1
# The x-vector's TDNN layers need some frames: a shorter span is zero-padded to this length.


# -- the mel front end (librosa.feature.melspectrogram, its defaults as Resemblyzer calls it) --


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa, htk=False): linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_step = np.log(6.4) / 27.0
    above = hz >= 1000.0
    return np.where(above, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / log_step, mel)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    log_step = np.log(6.4) / 27.0
    return np.where(mel >= 15.0, 1000.0 * np.exp(log_step * (mel - 15.0)), mel * 200.0 / 3)


@cache
def mel_filters(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """librosa.filters.mel(sr, n_fft, n_mels) with fmin 0, fmax sr/2, htk=False and slaney
    area normalisation: triangles between mel-spaced edges, each scaled to unit area."""
    fft_hz = np.fft.rfftfreq(n_fft, 1.0 / sr)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2.0), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


@cache
def _hann() -> np.ndarray:
    """The periodic Hann window librosa's STFT uses (scipy's get_window('hann', n))."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """(frames, 40) power mel spectrogram, not log: librosa's centred STFT (zero padding of
    n_fft/2 each side, librosa >= 0.10's default), |X|^2, the slaney mel filters."""
    padded = np.pad(np.asarray(wav, np.float32), N_FFT // 2)
    frames = 1 + (len(padded) - N_FFT) // HOP
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(frames)[:, None]
    spectrum = np.fft.rfft(padded[index] * _hann(), axis=1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    return power @ mel_filters().T


def normalize_volume(wav: np.ndarray, target_dbfs: float = TARGET_DBFS) -> np.ndarray:
    """Raise quiet audio to target_dbfs RMS (never lower it), as Resemblyzer's preprocessing
    does: the encoder's power mel input is not level-invariant."""
    rms = float(np.sqrt(np.mean((wav.astype(np.float64) * INT16_MAX) ** 2)))
    if rms <= 0.0:
        return wav
    change = target_dbfs - 20 * np.log10(rms / INT16_MAX)
    return wav if change < 0 else (wav * 10 ** (change / 20)).astype(np.float32)


def partial_slices(n_samples: int) -> list[slice]:
    """Mel frame ranges of the partial utterances of n_samples of audio (Resemblyzer's
    compute_partial_slices): PARTIAL_FRAMES each, stepped at PARTIAL_RATE, the last kept
    when MIN_COVERAGE of it is audio; audio shorter than one partial gets one, zero-padded."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = int(np.round((SAMPLE_RATE / PARTIAL_RATE) / HOP))
    steps = max(1, n_frames - PARTIAL_FRAMES + step + 1)
    slices = [slice(i, i + PARTIAL_FRAMES) for i in range(0, steps, step)]
    last = slices[-1]
    coverage = (n_samples - last.start * HOP) / ((last.stop - last.start) * HOP)
    if coverage < MIN_COVERAGE and len(slices) > 1:
        slices = slices[:-1]
    return slices


def ge2e_partials(wav: np.ndarray) -> np.ndarray:
    """(partials, 160, 40) mel frames of one utterance, as Resemblyzer's embed_utterance
    makes them: volume raised, zero-padded to the last partial's end."""
    slices = partial_slices(len(wav))
    wav = normalize_volume(wav)
    needed = slices[-1].stop * HOP
    if needed >= len(wav):
        wav = np.pad(wav, (0, needed - len(wav)))
    mel = mel_spectrogram(wav)
    return np.stack([mel[s] for s in slices])


# -- the network ---------------------------------------------------------------------------


class GE2E(nn.Module):
    """Resemblyzer's VoiceEncoder: 3-layer LSTM (256) over mel frames, its last hidden state
    through Linear(256) + ReLU, L2-normalised."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(N_MELS, 256, 3, batch_first=True)
        self.linear = nn.Linear(256, GE2E_DIM)
        self.relu = nn.ReLU()

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        _, (hidden, _) = self.lstm(mels)
        raw = self.relu(self.linear(hidden[-1]))
        return raw / torch.norm(raw, dim=1, keepdim=True).clamp_min(1e-12)


def load_ge2e_state(path: Path) -> dict[str, torch.Tensor]:
    """The encoder's tensors from Resemblyzer's checkpoint (tensors only: weights_only=True);
    the checkpoint's optimizer state and GE2E loss scale are left out."""
    checkpoint = torch.load(path, weights_only=True, map_location="cpu")
    state = checkpoint["model_state"] if "model_state" in checkpoint else checkpoint
    return {k: v for k, v in state.items() if k.startswith(("lstm.", "linear."))}


class GE2EEngine:
    """The bundled GE2E speaker encoder: 256-d unit voice vectors for spans of audio."""

    mel_filters = None

    def __init__(self, model_dir: Path, precision: str = "float32"):
        if precision != "float32":
            raise ValueError(f"the GE2E speaker encoder runs in float32, not {precision}")
        path = Path(model_dir) / GE2E_WEIGHTS
        if not path.is_file():
            raise OSError(f"there is no {GE2E_WEIGHTS} in {model_dir}")
        state = load_ge2e_state(path)
        self.model = GE2E()
        self.model.load_state_dict(state, strict=True)
        self.model.eval()
        del state
        self.precision = precision
        self.footprint_bytes = sum(p.numel() * p.element_size() for p in self.model.parameters())
        trim_heap()

    def embed_spans(self, samples: np.ndarray, spans: np.ndarray) -> np.ndarray:
        """One unit vector per (start, end) seconds span: the mean of its partials' vectors."""
        partials, owner = [], []
        for index, (start, end) in enumerate(spans):
            lo = min(int(round(start * SAMPLE_RATE)), len(samples) - 1)
            hi = max(int(round(end * SAMPLE_RATE)), lo + 1)
            mels = ge2e_partials(np.asarray(samples[lo:hi], np.float32))
            partials.append(mels)
            owner += [index] * len(mels)
        mels = np.concatenate(partials)
        with torch.inference_mode():
            vectors = np.concatenate([
                self.model(torch.from_numpy(mels[i:i + GE2E_BATCH])).numpy()
                for i in range(0, len(mels), GE2E_BATCH)])
        out = np.zeros((len(spans), GE2E_DIM), np.float64)
        counts = np.bincount(np.array(owner), minlength=len(spans))
        np.add.at(out, np.array(owner), vectors)
        return unit(out / counts[:, None])


def unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1, as float32."""
    vectors = np.asarray(vectors, np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
