"""Typed settings, stored as TOML under the platform's config folder.

A broken or invalid file never stops the app: each bad value is reported (naming the key and what is allowed) and
replaced by its default for this run, and the user's file is left untouched until they save new settings.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import tempfile
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, get_type_hints

from app.config import paths
from app.conversations.transcript import DEFAULT_SYSTEM
from kvcache.config import KVQuantConfig

_KV_DEFAULT = KVQuantConfig()  # the cache's measured default is the settings' default


class ListenMode(enum.Enum):
    PUSH_TO_TALK = "push_to_talk"
    HANDS_FREE = "hands_free"


class MemoryPreset(enum.Enum):
    GB8 = "8gb"
    GB16 = "16gb"
    GB32 = "32gb"


def _range(lo: float, hi: float) -> dict[str, Any]:
    return {"metadata": {"range": (lo, hi)}}


@dataclass(frozen=True)
class ModelSettings:
    chat: str = "qwen3.5-4b"
    stt: str = "whisper-turbo"
    tts: str = "kokoro"
    offline: bool = False


@dataclass(frozen=True)
class AudioSettings:
    input_device: str = ""  # "" = system default
    output_device: str = ""
    mode: ListenMode = ListenMode.HANDS_FREE
    vad_sensitivity: float = field(default=0.5, **_range(0.0, 1.0))
    end_pause_ms: int = field(default=700, **_range(200, 3000))
    echo_cancellation: bool = True
    stt_language: str = ""  # e.g. "en": skips language detection (seconds per utterance on a CPU); "" = detect


@dataclass(frozen=True)
class VoiceSettings:
    voice: str = "af_heart"
    speed: float = field(default=1.0, **_range(0.5, 2.0))
    volume: float = field(default=1.0, **_range(0.0, 1.0))


@dataclass(frozen=True)
class MemorySettings:
    preset: MemoryPreset = MemoryPreset.GB16
    compress_kv: bool = True  # TurboQuant-style KV cache for full-attention layers (off: bf16 as the model has it)
    kv_key_bits: float = field(default=float(_KV_DEFAULT.key_bits), **_range(2, 5))  # steps of 1/8
    kv_value_bits: float = field(default=float(_KV_DEFAULT.value_bits), **_range(2, 5))


@dataclass(frozen=True)
class ConversationSettings:
    system_prompt: str = DEFAULT_SYSTEM  # a conversation may carry its own
    resume_last: bool = True  # the app and `hearth chat` continue the last conversation


@dataclass(frozen=True)
class UiSettings:
    large_text: bool = False
    high_contrast: bool = False


@dataclass(frozen=True)
class Settings:
    models: ModelSettings = ModelSettings()
    audio: AudioSettings = AudioSettings()
    voice: VoiceSettings = VoiceSettings()
    memory: MemorySettings = MemorySettings()
    conversation: ConversationSettings = ConversationSettings()
    ui: UiSettings = UiSettings()


@dataclass(frozen=True)
class SettingsProblem:
    key: str  # "audio.vad_sensitivity", or "" for the whole file
    message: str


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    problems: tuple[SettingsProblem, ...]
    path: Path


def _allowed(ftype: Any, meta: Any) -> str:
    if isinstance(ftype, type) and issubclass(ftype, enum.Enum):
        return "one of " + ", ".join(repr(m.value) for m in ftype)
    if ftype is bool:
        return "true or false"
    if "range" in meta:
        lo, hi = meta["range"]
        return f"a number from {lo} to {hi}"
    return "a text string" if ftype is str else f"a {ftype.__name__}"


def _convert(value: Any, ftype: Any, meta: Any) -> Any:
    """The typed value, or raises ValueError."""
    if isinstance(ftype, type) and issubclass(ftype, enum.Enum):
        return ftype(value)
    if ftype is bool:
        if not isinstance(value, bool):
            raise ValueError
        return value
    if ftype in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (ftype is int and value != int(value)):
            raise ValueError
        value = ftype(value)
        lo, hi = meta.get("range", (float("-inf"), float("inf")))
        if not lo <= value <= hi:
            raise ValueError
        return value
    if ftype is str and isinstance(value, str):
        return value
    raise ValueError


def _load_section(cls: type, raw: Any, prefix: str, problems: list[SettingsProblem]) -> Any:
    default = cls()
    if not isinstance(raw, dict):
        problems.append(SettingsProblem(prefix, f"[{prefix}] must be a table of settings; using defaults."))
        return default
    hints = get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        f = known.get(key)
        if f is None:
            allowed = ", ".join(known)
            problems.append(SettingsProblem(f"{prefix}.{key}", f"{prefix}.{key} is not a setting (known: {allowed})."))
            continue
        try:
            values[key] = _convert(value, hints[key], f.metadata)
        except ValueError:
            allowed = _allowed(hints[key], f.metadata)
            problems.append(SettingsProblem(
                f"{prefix}.{key}", f"{prefix}.{key} = {value!r} is invalid: it must be {allowed}; using the default."))
    return replace(default, **values)


def parse_settings(text: str) -> tuple[Settings, list[SettingsProblem]]:
    problems: list[SettingsProblem] = []
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Settings(), [SettingsProblem("", f"The settings file is not valid TOML ({exc}); using defaults.")]
    hints = get_type_hints(Settings)
    sections = {}
    for key, value in raw.items():
        if key not in hints:
            problems.append(SettingsProblem(key, f"[{key}] is not a settings section (known: {', '.join(hints)})."))
            continue
        sections[key] = _load_section(hints[key], value, key, problems)
    return replace(Settings(), **sections), problems


def load_settings(path: Path | None = None) -> LoadedSettings:
    path = path or paths.settings_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LoadedSettings(Settings(), (), path)
    except (OSError, UnicodeDecodeError) as exc:
        return LoadedSettings(Settings(), (SettingsProblem("", f"Cannot read {path}: {exc}; using defaults."),), path)
    settings, problems = parse_settings(text)
    if problems:
        problems = [replace(p, message=f"{path}: {p.message}") for p in problems]
    return LoadedSettings(settings, tuple(problems), path)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def to_toml(settings: Settings) -> str:
    import tomli_w

    data = {
        section.name: {k: _plain(v) for k, v in dataclasses.asdict(getattr(settings, section.name)).items()}
        for section in fields(settings)
    }
    return tomli_w.dumps(data)


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write atomically: a crash leaves either the old file or the new one, never half of one."""
    path = path or paths.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".settings.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(to_toml(settings))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path
