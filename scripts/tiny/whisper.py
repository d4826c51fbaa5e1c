"""A tiny random-weight Whisper built with mlx-audio's own Whisper classes, loadable by ``mlx_audio.stt.load``.

Writes config.json (MLX dims: 80 mels, the real 1500-position audio context so 30 s windows fit, a 64-token text
context), model.safetensors (float32), and a Hugging Face WhisperProcessor (preprocessor_config.json plus a byte-level
BPE tokenizer trained on the spot with Whisper's special tokens: task, language and 1501 timestamp tokens).
"""

from __future__ import annotations

import json
from pathlib import Path

from tiny import builder

DIMS = {
    "n_mels": 80,
    "n_audio_ctx": 1500,  # 3000 mel frames / conv stride 2: fixed by Whisper's 30 s window
    "n_audio_state": 64,
    "n_audio_head": 2,
    "n_audio_layer": 1,
    "n_text_ctx": 64,  # decoding stops after n_text_ctx // 2 tokens
    "n_text_state": 64,
    "n_text_head": 2,
    "n_text_layer": 1,
}

SPECIALS = [
    "<|endoftext|>",
    "<|startoftranscript|>",
    "<|en|>",
    "<|translate|>",
    "<|transcribe|>",
    "<|startoflm|>",
    "<|startofprev|>",
    "<|nocaptions|>",
    "<|notimestamps|>",
] + [f"<|{i * 0.02:.2f}|>" for i in range(1501)]

CORPUS = [
    "Hello Hearth. What is the weather like today? Please set a timer for ten minutes.",
    "The quick brown fox jumps over the lazy dog. It is 3.5 degrees outside; the meeting is at 10 a.m.",
    "Turn on the lights in the kitchen, then read me the news and tell me a short story.",
]


def _write_processor(outdir: Path, n_mels: int) -> int:
    """Train a small byte-level BPE, wrap it as a WhisperTokenizerFast + feature extractor; returns vocab size."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import WhisperFeatureExtractor, WhisperProcessor, WhisperTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320, special_tokens=[], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    tok.add_special_tokens(SPECIALS)
    tok_dir = outdir / "_bpe"
    tok_dir.mkdir(exist_ok=True)
    tok.save(str(tok_dir / "tokenizer.json"))
    fast = WhisperTokenizerFast(
        tokenizer_file=str(tok_dir / "tokenizer.json"),
        unk_token="<|endoftext|>",
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
    )
    features = WhisperFeatureExtractor(feature_size=n_mels)
    WhisperProcessor(feature_extractor=features, tokenizer=fast).save_pretrained(str(outdir))
    for f in tok_dir.iterdir():
        f.unlink()
    tok_dir.rmdir()
    return len(fast)


@builder("whisper")
def build(outdir: Path) -> None:
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_audio.stt.models.whisper.whisper import Model, ModelDimensions

    n_vocab = _write_processor(outdir, DIMS["n_mels"])
    dims = ModelDimensions(n_vocab=n_vocab, **DIMS)
    mx.random.seed(0)
    model = Model(dims, dtype=mx.float32)
    weights = dict(tree_flatten(model.parameters()))
    mx.save_safetensors(str(outdir / "model.safetensors"), weights)
    config = {"model_type": "whisper", **DIMS, "n_vocab": n_vocab}
    (outdir / "config.json").write_text(json.dumps(config, indent=2))
