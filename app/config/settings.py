"""Typed settings, stored as TOML under the platform's config folder.

A broken or invalid file never stops the app: each bad value is reported (naming the key and what is allowed) and
replaced by its default for this run; a setting that restricts what Hearth may do (``models.offline``) takes its
restrictive value instead (fail closed). Saving (``app.config.saving``) changes only the keys that changed and keeps
the rest of the user's file byte for byte.
"""

from __future__ import annotations

import enum
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, get_origin, get_type_hints

from app.config import paths
from app.conversations.transcript import DEFAULT_SYSTEM
from app.narrator.prompts import Verbosity
from app.tools.context import DEFAULT_ALLOWED_COMMANDS
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


def _restrictive(value: Any) -> dict[str, Any]:
    """A setting that restricts Hearth: when its value cannot be read, ``value`` (the restrictive one) is used."""
    return {"metadata": {"fail_closed": value}}


@dataclass(frozen=True)
class ModelSettings:
    chat: str = "qwen3.5-4b"
    stt: str = "whisper-turbo"
    tts: str = "kokoro"
    offline: bool = field(default=False, **_restrictive(True))


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
    extend_context: bool = False  # the rope-scaling (YaRN) extension the model's card documents: Qwen reads 4x longer


@dataclass(frozen=True)
class ConversationSettings:
    system_prompt: str = DEFAULT_SYSTEM  # a conversation may carry its own
    resume_last: bool = True  # the app and `hearth chat` continue the last conversation
    mode: str = "assistant"  # app/modes/<name>.py: assistant, coding, ...


@dataclass(frozen=True)
class WorkspaceSettings:
    folder: str = ""  # the coding tools' workspace ("" = none picked; `--workspace DIR` overrides)
    allowed_commands: tuple[str, ...] = DEFAULT_ALLOWED_COMMANDS  # what run_command may start (each run asks first)
    command_timeout_s: float = field(default=120.0, **_range(1, 3600))


@dataclass(frozen=True)
class UiSettings:
    large_text: bool = False
    high_contrast: bool = False
    first_run_done: bool = False  # the first-run dialog was answered ("Continue without" included)


@dataclass(frozen=True)
class NarratorSettings:
    verbosity: Verbosity = Verbosity.BRIEF  # narrations and descriptions: one sentence, or a few
    narrate_changes: bool = True  # in narrator mode, say what changed in view without being asked
    earcons: bool = True  # short sounds for listening / thinking / narration on-off / errors
    min_gap_s: float = field(default=4.0, **_range(1, 120))  # at least this long between two narrations


@dataclass(frozen=True)
class Settings:
    models: ModelSettings = ModelSettings()
    audio: AudioSettings = AudioSettings()
    voice: VoiceSettings = VoiceSettings()
    memory: MemorySettings = MemorySettings()
    conversation: ConversationSettings = ConversationSettings()
    workspace: WorkspaceSettings = WorkspaceSettings()
    narrator: NarratorSettings = NarratorSettings()
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
        return f"a whole number from {lo} to {hi}" if ftype is int else f"a number from {lo} to {hi}"
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
    if get_origin(ftype) is tuple and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
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
            if "fail_closed" in f.metadata:
                values[key] = f.metadata["fail_closed"]
                used = f"using {_plain_toml(values[key])} (the safe value) until it is fixed"
            else:
                used = "using the default"
            problems.append(SettingsProblem(
                f"{prefix}.{key}", f"{prefix}.{key} = {value!r} is invalid: it must be {allowed}; {used}."))
    return replace(default, **values)


def _plain_toml(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value)


def fail_closed_settings() -> Settings:
    """The defaults with every restrictive setting at its restrictive value: for a file that cannot be read."""
    sections = {}
    for section in fields(Settings):
        cls = type(getattr(Settings(), section.name))
        closed = {f.name: f.metadata["fail_closed"] for f in fields(cls) if "fail_closed" in f.metadata}
        sections[section.name] = replace(cls(), **closed)
    return replace(Settings(), **sections)


def _closed_note() -> str:
    keys = [f"{s.name}.{f.name}" for s in fields(Settings) for f in fields(type(getattr(Settings(), s.name)))
            if "fail_closed" in f.metadata]
    return f" ({', '.join(keys)} on until it is fixed)" if keys else ""


def parse_settings(text: str) -> tuple[Settings, list[SettingsProblem]]:
    problems: list[SettingsProblem] = []
    try:
        raw = read_toml(text)
    except SettingsFileError as exc:
        return fail_closed_settings(), [SettingsProblem("", f"{exc}; using defaults{_closed_note()}.")]
    hints = get_type_hints(Settings)
    sections = {}
    for key, value in raw.items():
        if key not in hints:
            problems.append(SettingsProblem(key, f"[{key}] is not a settings section (known: {', '.join(hints)})."))
            continue
        sections[key] = _load_section(hints[key], value, key, problems)
        if not isinstance(value, dict):
            sections[key] = getattr(fail_closed_settings(), key)
    return replace(Settings(), **sections), problems


class SettingsFileError(ValueError):
    """The settings file cannot be read as TOML; ``str()`` says why, for the user."""


def read_toml(text: str) -> dict[str, Any]:
    """The file's TOML as plain data, or SettingsFileError (bad syntax, or nesting too deep to read)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsFileError(f"The settings file is not valid TOML ({exc})") from None
    except RecursionError:
        raise SettingsFileError("The settings file nests arrays or tables too deeply to read") from None


def load_settings(path: Path | None = None) -> LoadedSettings:
    """The settings in ``path`` (default: the user's file). Loading the user's file also removes the temp files
    that killed saves left in Hearth's folders (``paths.clean_at_start``)."""
    if path is None:
        paths.clean_at_start()
    path = path or paths.settings_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LoadedSettings(Settings(), (), path)
    except (OSError, UnicodeDecodeError) as exc:
        problem = SettingsProblem("", f"Cannot read {path}: {exc}; using defaults{_closed_note()}.")
        return LoadedSettings(fail_closed_settings(), (problem,), path)
    clean_stale_temp_files(path.parent)
    settings, problems = parse_settings(text)
    if problems:
        problems = [replace(p, message=f"{path}: {p.message}") for p in problems]
    return LoadedSettings(settings, tuple(problems), path)


def save_settings(settings: Settings, path: Path | None = None, base: Settings | None = None) -> Path:
    """Save only what changed, keeping the rest of the user's file as written (see ``app.config.saving``);
    raises ``app.config.saving.SettingsSaveError``. Front ends should call ``try_save_settings``."""
    from app.config.saving import save_settings as save

    return save(settings, path, base)


def clean_stale_temp_files(folder: Path) -> list[Path]:
    """Temp files of killed saves in ``folder`` removed (see ``app.config.paths.clean_stale_temp_files``)."""
    return paths.clean_stale_temp_files(folder)
