"""A tiny random-weight Parakeet (CTC head, NeMo-style config.json) built with mlx-audio's own classes, float32.

Lives with the tests (not scripts/tiny) because only the adapter's Parakeet routing needs it.
"""

from __future__ import annotations

import json
from pathlib import Path

VOCAB = ["▁", "a", "e", "i", "o", "u", "h", "l", "t", "s", "r", "n", "▁the", "▁he", "llo"]

CONFIG = {
    "target": "nemo.collections.asr.models.ctc_bpe_models.EncDecCTCModelBPE",
    "preprocessor": {
        "sample_rate": 16000, "normalize": "per_feature", "window_size": 0.025, "window_stride": 0.01,
        "window": "hann", "features": 32, "n_fft": 512, "dither": 0.0,
    },
    "encoder": {
        "feat_in": 32, "n_layers": 1, "d_model": 32, "n_heads": 2, "ff_expansion_factor": 2,
        "subsampling_factor": 4, "self_attention_model": "rel_pos", "subsampling": "dw_striding",
        "conv_kernel_size": 9, "subsampling_conv_channels": 16, "pos_emb_max_len": 2000,
    },
    "decoder": {"feat_in": 32, "num_classes": -1, "vocabulary": VOCAB},
    "decoding": {"greedy": {"max_symbols": 10}},
}


def build_tiny_parakeet(outdir: Path) -> Path:
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_audio.stt.models.parakeet.parakeet import Model, ModelConfig

    outdir.mkdir(parents=True, exist_ok=True)
    mx.random.seed(0)
    model = Model(ModelConfig.from_dict(json.loads(json.dumps(CONFIG))))
    mx.save_safetensors(str(outdir / "model.safetensors"), dict(tree_flatten(model.parameters())))
    (outdir / "config.json").write_text(json.dumps(CONFIG, indent=2))
    return outdir
