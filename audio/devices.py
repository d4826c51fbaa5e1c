"""Finding input devices through sounddevice (imported lazily: it raises OSError when PortAudio is missing)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from audio.types import AudioBackendUnavailable, DeviceNotFound, UnsupportedSampleRate


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    max_input_channels: int
    default_sample_rate: int
    is_default: bool = False


def import_sounddevice() -> ModuleType:
    """The sounddevice module, or a clear AudioBackendUnavailable when PortAudio is not installed."""
    try:
        import sounddevice
    except OSError as e:
        fix = (
            "Install PortAudio: `sudo apt-get install libportaudio2` (Debian/Ubuntu)"
            if sys.platform.startswith("linux")
            else "Reinstall the sounddevice package (its wheel bundles PortAudio)"
        )
        raise AudioBackendUnavailable(f"The audio library PortAudio could not be loaded ({e}). {fix}.") from None
    except ImportError as e:
        raise AudioBackendUnavailable(f"sounddevice is not installed ({e}). Run `uv sync`.") from None
    return sounddevice


def _default_input_index(sd: Any) -> int:
    """sounddevice's default input device index (``sd.default.device`` is an (input, output) pair), or -1."""
    try:
        idx = sd.default.device[0]
    except (TypeError, IndexError, AttributeError):
        return -1
    return int(idx) if isinstance(idx, int) else -1


def list_input_devices(sd: Any | None = None) -> tuple[DeviceInfo, ...]:
    sd = sd or import_sounddevice()
    try:
        devices = sd.query_devices()
    except Exception as e:  # PortAudioError and friends
        raise AudioBackendUnavailable(f"Could not list audio devices ({e}). Check that a sound system runs.") from None
    default = _default_input_index(sd)
    return tuple(
        DeviceInfo(i, str(d["name"]), int(d["max_input_channels"]), int(d["default_samplerate"]), i == default)
        for i, d in enumerate(devices)
        if int(d["max_input_channels"]) > 0
    )


def find_input_device(name: str | None, sd: Any | None = None) -> DeviceInfo:
    """The input device whose name contains ``name`` (case-insensitive), or the default device when None."""
    devices = list_input_devices(sd)
    if not devices:
        raise DeviceNotFound(
            "No microphone found. Plug one in (or enable it in the system sound settings), "
            "or pass an audio file with --in FILE.wav."
        )
    if name is None:
        return next((d for d in devices if d.is_default), devices[0])
    wanted = name.lower()
    exact = [d for d in devices if d.name.lower() == wanted]
    matches = exact or [d for d in devices if wanted in d.name.lower()]
    if not matches:
        names = ", ".join(repr(d.name) for d in devices)
        raise DeviceNotFound(f"No microphone named {name!r}. Available: {names}. Choose one of these or the default.")
    return matches[0]


def check_input_rate(device: DeviceInfo, sample_rate: int, sd: Any | None = None) -> None:
    sd = sd or import_sounddevice()
    try:
        sd.check_input_settings(device=device.index, channels=1, samplerate=sample_rate, dtype="float32")
    except Exception as e:
        raise UnsupportedSampleRate(
            f"The microphone {device.name!r} cannot record at {sample_rate} Hz ({e}). "
            f"Use its native rate {device.default_sample_rate} Hz (Hearth resamples internally)."
        ) from None
