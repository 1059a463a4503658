"""A tiny random-weight WavLM x-vector model (transformers' WavLMForXVector), built offline.

The real microsoft/wavlm-base-plus-sv cannot be downloaded here: this is its architecture (the
seven-layer convolutional front end at 50 frames a second, a WavLM transformer with gated
relative position bias, the weighted layer sum and the TDNN x-vector head) shrunk to a few
small layers, saved with save_pretrained (safetensors) beside the real model's feature
extractor settings, so it loads as a downloaded one does.
"""

from __future__ import annotations

from pathlib import Path

XVECTOR_DIM = 24


def build_tiny_wavlm(out: Path, seed: int = 0) -> Path:
    """A WavLMForXVector of wavlm-base-plus-sv's shape, shrunk, saved with its extractor."""
    import torch
    from transformers import Wav2Vec2FeatureExtractor, WavLMConfig, WavLMForXVector

    out = Path(out)
    config = WavLMConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        conv_dim=(32,) * 7, conv_stride=(5, 2, 2, 2, 2, 2, 2), conv_kernel=(10, 3, 3, 3, 3, 2, 2),
        feat_extract_norm="group", do_stable_layer_norm=False, num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2, num_buckets=32, max_bucket_distance=100,
        use_weighted_layer_sum=True, tdnn_dim=(32, 32, 32, 32, 64), tdnn_kernel=(5, 3, 3, 1, 1),
        tdnn_dilation=(1, 2, 3, 1, 1), xvector_output_dim=XVECTOR_DIM,
        architectures=["WavLMForXVector"])
    torch.manual_seed(seed)
    WavLMForXVector(config).eval().save_pretrained(out, safe_serialization=True)
    # The real model's preprocessor_config.json: 16 kHz raw samples, not normalised.
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0,
                             do_normalize=False, return_attention_mask=True).save_pretrained(out)
    return out
