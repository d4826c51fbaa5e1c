"""Tiny random-weight Kokoro, built with mlx-audio's own Kokoro classes, float32.

Kokoro's decoder hard-wires its widths (hidden 512, 1024-channel AdaIN blocks, 128+128 style vector), so "tiny" is
as small as the config allows: a 1-layer 32-wide ALBERT, one prosody/text-encoder layer, one resblock kernel and
``max_dur`` 2 (a phoneme lasts one or two 25 ms frames, which keeps random-weight audio and run time short).
That is still ~58M parameters (~230 MB float32); the real model is 82M. Files: config.json (model_type "kokoro"),
kokoro.safetensors in the checkpoint layout mlx-audio's ``sanitize`` expects, and voices/af_heart.safetensors.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tiny import builder

# Kokoro's phoneme alphabet (misaki's symbols plus punctuation); ids start at 1, 0 is the pad/boundary token.
PHONEMES = (
    ";:,.!?—…\"()“” "
    "AIOQSTWYᵊabcdefhijklmnopqrstuvwxyzæçðøŋœɐɑɒɔɕəɚɛɜɟɡɣɥɨɪɬɯɲɹɾʁʃʈʊʋʌʎʒʔʝʤʧʣʥʦʨˈˌːθᵻʰʲ↓→↗↘ᵝ"
)


def kokoro_config() -> dict:
    vocab = {ch: i + 1 for i, ch in enumerate(dict.fromkeys(PHONEMES))}
    return {
        "model_type": "kokoro",
        "istftnet": {
            "upsample_kernel_sizes": [20, 12],
            "upsample_rates": [10, 6],
            "gen_istft_hop_size": 5,
            "gen_istft_n_fft": 20,
            "resblock_dilation_sizes": [[1, 3, 5]],
            "resblock_kernel_sizes": [3],
            "upsample_initial_channel": 512,  # must match the decoder's fixed 512-channel output
        },
        "dim_in": 64,
        "dropout": 0.2,
        "hidden_dim": 512,  # fixed: the decoder's asr_res expects 512 channels
        "max_conv_dim": 512,
        "max_dur": 2,
        "multispeaker": True,
        "n_layer": 1,
        "n_mels": 80,
        "n_token": 178,
        "style_dim": 128,  # fixed: voices are 256 = 128 (decoder) + 128 (prosody)
        "text_encoder_kernel_size": 5,
        "plbert": {
            "hidden_size": 32,
            "num_attention_heads": 2,
            "intermediate_size": 64,
            "max_position_embeddings": 512,
            "num_hidden_layers": 1,
            "dropout": 0.1,
        },
        "vocab": vocab,
        "sample_rate": 24000,
    }


def _checkpoint_layout(model, params: dict) -> dict:
    """Store each weight so that ``model.sanitize`` maps it back to the MLX layout (some convs are transposed)."""
    import mlx.core as mx

    stored = {}
    for key, value in params.items():
        for candidate in (value, value.transpose(0, 2, 1) if value.ndim == 3 else None):
            if candidate is None:
                continue
            back = model.sanitize({key: candidate})
            if key in back and back[key].shape == value.shape and bool(mx.array_equal(back[key], value)):
                stored[key] = candidate
                break
        else:
            raise RuntimeError(f"cannot store {key} so that sanitize restores it")
    return stored


def _randomise(params: dict) -> dict:
    """mlx-audio initialises weight-normalised convs to all ones, which makes random audio overflow (exp of the
    spectrum -> inf -> NaN): give them random directions and a small gain on the final spectrum projection."""
    import mlx.core as mx

    out = {}
    for key, value in params.items():
        if key.endswith("weight_v"):
            value = mx.random.normal(value.shape)
        elif key.endswith("weight_g") and "conv_post" in key:
            value = mx.full(value.shape, 0.05)
        out[key] = value
    return out


@builder("kokoro")
def build(outdir: Path) -> None:
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_audio.tts.models.kokoro import Model, ModelConfig

    config = kokoro_config()
    mx.random.seed(0)
    model = Model(ModelConfig.from_dict(config))
    model.set_dtype(mx.float32)
    params = _randomise(dict(tree_flatten(model.parameters())))
    model.load_weights(list(params.items()))
    mx.save_safetensors(str(outdir / "kokoro.safetensors"), _checkpoint_layout(model, params))
    (outdir / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=1))
    voices = outdir / "voices"
    voices.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    pack = (rng.standard_normal((510, 1, 256)) * 0.2).astype(np.float32)
    mx.save_safetensors(str(voices / "af_heart.safetensors"), {"voice": mx.array(pack)})
