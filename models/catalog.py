"""Default models Hearth knows by name: Hugging Face id, role, approximate download size and memory class.

Ids were checked against the Hugging Face hub listings (2026-11). Sizes are approximate download sizes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from models.base import Role


class MemoryClass(enum.IntEnum):
    """Smallest unified-memory size (GB) a model is meant for."""

    GB8 = 8
    GB16 = 16
    GB32 = 32


@dataclass(frozen=True)
class CatalogEntry:
    name: str  # short name users type: `hearth chat --model qwen3.5-4b`
    repo_id: str  # Hugging Face id, or "" for built-in voices
    role: Role
    size_gb: float
    memory: MemoryClass
    description: str

    @property
    def builtin(self) -> bool:
        return not self.repo_id


CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry("qwen3.5-0.8b", "mlx-community/Qwen3.5-0.8B-OptiQ-4bit", Role.VLM, 0.5, MemoryClass.GB8,
                 "Qwen3.5 0.8B, hybrid attention, sees images; fastest, least capable"),
    CatalogEntry("qwen3.5-2b", "mlx-community/Qwen3.5-2B-MLX-4bit", Role.VLM, 1.5, MemoryClass.GB8,
                 "Qwen3.5 2B, hybrid attention, sees images; for 8 GB Macs"),
    CatalogEntry("qwen3.5-4b", "mlx-community/Qwen3.5-4B-MLX-4bit", Role.VLM, 3.0, MemoryClass.GB16,
                 "Qwen3.5 4B, hybrid attention, 262K context (1M with YaRN), sees images; the default brain"),
    CatalogEntry("qwen3.5-9b", "mlx-community/Qwen3.5-9B-OptiQ-4bit", Role.VLM, 5.6, MemoryClass.GB32,
                 "Qwen3.5 9B, hybrid attention, sees images; for 32 GB Macs"),
    CatalogEntry("whisper-turbo", "mlx-community/whisper-large-v3-turbo-asr-fp16", Role.STT, 1.6, MemoryClass.GB8,
                 "Whisper large-v3-turbo speech recognition, 99 languages"),
    CatalogEntry("parakeet", "mlx-community/parakeet-tdt-0.6b-v3", Role.STT, 2.5, MemoryClass.GB8,
                 "Parakeet TDT 0.6B v3, fast European-language speech recognition"),
    CatalogEntry("kokoro", "mlx-community/Kokoro-82M-bf16", Role.TTS, 0.35, MemoryClass.GB8,
                 "Kokoro 82M natural voice (English)"),
    CatalogEntry("espeak", "", Role.TTS, 0.0, MemoryClass.GB8,
                 "eSpeak NG instant voice: robotic but speaks within milliseconds; built in"),
)

DEFAULTS: dict[Role, str] = {Role.VLM: "qwen3.5-4b", Role.STT: "whisper-turbo", Role.TTS: "kokoro"}
PRESETS: dict[MemoryClass, dict[Role, str]] = {
    MemoryClass.GB8: {Role.VLM: "qwen3.5-2b", Role.STT: "whisper-turbo", Role.TTS: "kokoro"},
    MemoryClass.GB16: DEFAULTS,
    MemoryClass.GB32: {Role.VLM: "qwen3.5-9b", Role.STT: "whisper-turbo", Role.TTS: "kokoro"},
}


def lookup(name_or_id: str) -> CatalogEntry | None:
    """The catalog entry for a short name or a Hugging Face id (case-insensitive), if any."""
    key = name_or_id.strip().lower()
    for entry in CATALOG:
        if key in (entry.name, entry.repo_id.lower()):
            return entry
    return None


def default_model(role: Role, memory: MemoryClass = MemoryClass.GB16) -> CatalogEntry:
    entry = lookup(PRESETS[memory][role])
    assert entry is not None
    return entry
