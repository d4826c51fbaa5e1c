"""The mlx-audio speech-to-text adapter on a tiny random-weight Whisper (built with mlx-audio's own classes).

Random weights: these tests check that loading and transcription run end to end and return typed results, not
what the text says.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from models import registry
from models.base import ModelError, ModelFolder, Role, SpeechToText, TranscriptResult
from models.stt_mlx_audio import MlxAudioSTT, model_family

pytestmark = pytest.mark.slow


def test_registry_picks_this_adapter_for_the_tiny_whisper(whisper_folder):
    reg = registry.find_adapter((Role.STT,), whisper_folder)
    assert reg.factory is MlxAudioSTT and reg.role is Role.STT


def test_transcribes_espeak_speech(whisper, speech):
    assert isinstance(whisper, SpeechToText)
    assert whisper.info.role is Role.STT and whisper.info.backend == "mlx-audio/whisper"
    assert whisper.sample_rate == 16000
    result = whisper.transcribe(speech, 16000)
    assert isinstance(result, TranscriptResult) and isinstance(result.text, str)
    assert result.language == "en"


def test_other_rates_and_stereo_are_accepted(whisper, speech):
    from audio.resample import resample

    stereo = np.stack([resample(speech, 16000, 22050)] * 2, axis=1)
    assert isinstance(whisper.transcribe(stereo, 22050).text, str)


def test_empty_and_bad_audio(whisper):
    assert whisper.transcribe(np.zeros(0, np.float32), 16000).text == ""
    with pytest.raises(ModelError, match="NaN"):
        whisper.transcribe(np.full(1600, np.nan, np.float32), 16000)
    with pytest.raises(ModelError, match="sample rate"):
        whisper.transcribe(np.zeros(1600, np.float32), 0)


def test_runs_in_float32_on_the_cpu(whisper):
    import mlx.core as mx

    if mx.metal.is_available():
        pytest.skip("Metal keeps the shipped dtype")
    assert whisper._model.dtype == mx.float32


def test_family_detection_from_config(tmp_path):
    folder = lambda cfg: ModelFolder(tmp_path, cfg)  # noqa: E731
    assert model_family(folder({"model_type": "whisper"})) == "whisper"
    assert model_family(folder({"n_mels": 128, "n_audio_ctx": 1500, "n_vocab": 51866})) == "whisper"  # MLX dims
    assert model_family(folder({"architectures": ["WhisperForConditionalGeneration"]})) == "whisper"  # HF
    assert model_family(folder({"model_type": "parakeet_tdt"})) == "parakeet"
    nemo = {"target": "nemo.collections.asr.models.rnnt_bpe_models.EncDecRNNTBPEModel", "preprocessor": {}}
    assert model_family(folder(nemo)) == "parakeet"
    assert model_family(folder({"model_type": "qwen2"})) is None
    assert not MlxAudioSTT.accepts(folder({"model_type": "whisper"}))  # no weights in the folder


def test_whisper_without_tokenizer_is_a_clear_error(whisper_folder, tmp_path):
    broken = tmp_path / "whisper-no-tokenizer"
    shutil.copytree(whisper_folder.path, broken)
    for name in ("tokenizer.json", "tokenizer_config.json", "processor_config.json", "preprocessor_config.json"):
        (broken / name).unlink(missing_ok=True)
    with pytest.warns(UserWarning):
        with pytest.raises(ModelError, match="no tokenizer files"):
            MlxAudioSTT.load(ModelFolder(broken, whisper_folder.config), "broken")


def test_corrupt_weights_are_a_clear_error(whisper_folder, tmp_path):
    broken = tmp_path / "whisper-corrupt"
    shutil.copytree(whisper_folder.path, broken)
    (broken / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ModelError, match="Could not load"):
        MlxAudioSTT.load(ModelFolder(broken, whisper_folder.config), "corrupt")


def test_parakeet_folder_is_routed_and_transcribes(tmp_path, speech):
    import json

    from tiny_parakeet import build_tiny_parakeet

    path = build_tiny_parakeet(tmp_path / "parakeet")
    folder = ModelFolder(path, json.loads((path / "config.json").read_text()))
    assert registry.find_adapter((Role.STT,), folder).factory is MlxAudioSTT
    stt = MlxAudioSTT.load(folder, "tiny-parakeet")
    assert stt.info.backend == "mlx-audio/parakeet"
    result = stt.transcribe(speech, 16000)
    assert isinstance(result, TranscriptResult) and isinstance(result.text, str)


def test_the_same_audio_gives_the_same_words_and_leaves_the_chat_sampler_alone(whisper, speech):
    """The random tiny Whisper always falls back to sampling: seeded, so a transcript never changes between runs,
    and the random sequence the chat model samples from is not reset to one fixed point by a transcription."""
    import mlx.core as mx

    after = []
    for seed in (1, 2):
        mx.random.seed(seed)
        texts = {whisper.transcribe(speech, 16000).text for _ in range(3)}
        assert len(texts) == 1
        after.append(mx.random.uniform(shape=(4,)).tolist())
    assert after[0] != after[1]
