"""Microphone devices: choosing by name, clear errors, unplug + fallback (fake PortAudio), and an optional live
integration test over a PulseAudio null sink (a virtual sound card), skipped when pulseaudio cannot start."""

from __future__ import annotations

import builtins
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import fake_sounddevice as fsd
from audio.capture import MicrophoneSource
from audio.devices import find_input_device, import_sounddevice, list_input_devices
from audio.types import AudioBackendUnavailable, DeviceLost, DeviceNotFound, DeviceSwitched, UnsupportedSampleRate

ROOT = Path(__file__).resolve().parents[2]


def test_devices_by_name_and_default():
    sd = fsd.standard()
    names = [d.name for d in list_input_devices(sd)]
    assert names == ["Built-in Microphone", "USB Headset Mic"]  # output-only devices are not microphones
    assert find_input_device("usb", sd).index == 2
    assert find_input_device(None, sd).name == "Built-in Microphone"


def test_missing_device_is_a_clear_error():
    with pytest.raises(DeviceNotFound, match="No microphone named 'Blue Yeti'.*USB Headset Mic"):
        find_input_device("Blue Yeti", fsd.standard())
    empty = fsd.FakeSoundDevice([{"name": "Speakers", "max_input_channels": 0, "default_samplerate": 48000}])
    with pytest.raises(DeviceNotFound, match="No microphone found.*--in FILE.wav"):
        MicrophoneSource(sd=empty)


def test_unsupported_sample_rate_is_a_clear_error():
    with pytest.raises(UnsupportedSampleRate, match="cannot record at 12345 Hz.*native rate 48000"):
        MicrophoneSource(sample_rate=12345, sd=fsd.standard())


def test_missing_portaudio_is_a_clear_error(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(AudioBackendUnavailable, match="PortAudio"):
        import_sounddevice()


def read_blocks(src: MicrophoneSource, n: int) -> list:
    out = []
    for block in src.blocks():
        out.append(block)
        if len(out) == n:
            break
    return out


def test_capture_blocks_are_contiguous_with_stream_timestamps():
    src = MicrophoneSource("usb", block_ms=20, sd=fsd.standard())
    try:
        assert src.format.sample_rate == 16000 and src.block_size == 320
        blocks = read_blocks(src, 10)
    finally:
        src.close()
    assert [b.t_start for b in blocks] == pytest.approx([i * 0.02 for i in range(10)])
    ramp = np.concatenate([b.pcm for b in blocks]) - 0.3
    assert np.allclose(ramp * 1e6, np.arange(3200) % 100, atol=0.05)  # no gaps, no reordering


def test_unplugged_device_falls_back_to_default_with_a_notice():
    sd, notices = fsd.standard(), []
    src = MicrophoneSource("usb", sd=sd, stall_timeout_s=0.2, on_notice=notices.append)
    try:
        read_blocks(src, 3)
        sd.devices[2]["unplugged"] = True
        sd.devices[2]["max_input_channels"] = 0  # gone from the device list too
        t0 = time.monotonic()
        blocks = []
        for block in src.blocks():
            blocks.append(block)
            if np.mean(block.pcm) < 0.2:  # default device level 0.1: we are on the built-in mic now
                break
            assert time.monotonic() - t0 < 10
    finally:
        src.close()
    assert len(notices) == 1 and isinstance(notices[0], DeviceSwitched)
    assert notices[0].old == "USB Headset Mic" and notices[0].new == "Built-in Microphone"
    assert src.format.sample_rate == 16000  # the stream format is kept; the new device is opened at it


def test_unplugged_device_without_fallback_raises_device_lost():
    sd = fsd.standard()
    src = MicrophoneSource("usb", sd=sd, stall_timeout_s=0.2, fallback_to_default=False)
    try:
        read_blocks(src, 2)
        sd.devices[2]["unplugged"] = True
        with pytest.raises(DeviceLost, match="stopped delivering audio"):
            read_blocks(src, 1000)
    finally:
        src.close()


# ------------------------------------------------------------------------------------ PulseAudio integration
LIVE = textwrap.dedent("""
    import subprocess, sys, threading
    from audio.capture import MicrophoneSource
    from audio.pipeline import build_hearing
    from audio.types import Utterance
    src = MicrophoneSource("pulse", sample_rate=48000)
    pipe, _ = build_hearing(src)
    subprocess.Popen(["paplay", "--device=hearth_null", sys.argv[1]])
    threading.Timer(float(sys.argv[2]), src.close).start()
    print(sum(isinstance(e, Utterance) for e in pipe.events()))
""")


def test_live_capture_over_a_pulseaudio_null_sink(pulse, espeak, phrases, tmp_path):
    import audio_testdata as td
    from audio.wav import write_wav

    take = phrases[0]
    wav = write_wav(tmp_path / "phrase.wav", take.pcm, td.RATE)
    seconds = len(take.pcm) / td.RATE + 1.5
    run = subprocess.run([sys.executable, "-c", LIVE, str(wav), str(seconds)], env={**pulse, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-1000:]
    assert int(run.stdout.strip().splitlines()[-1]) == len(take.turns) == 1


def test_losing_the_only_microphone_ends_with_device_lost_even_with_fallback():
    sd = fsd.standard()
    src = MicrophoneSource(None, sd=sd, stall_timeout_s=0.2)  # the default (built-in) microphone
    try:
        read_blocks(src, 2)
        sd.devices[0]["unplugged"] = True  # still listed, but it cannot be opened or read
        with pytest.raises(DeviceLost, match="Built-in Microphone"):
            read_blocks(src, 1000)
    finally:
        src.close()
