"""The hearing chain: source -> resample to 16 kHz -> echo cancellation -> endpointing -> typed events.

``HearingPipeline.events()`` runs on the caller's thread (a capture thread in the app, the main thread in
``hearth listen``); it never touches MLX. Speech-to-text is the engine's job: hand ``Utterance.pcm`` over as a
``Transcribe`` request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from audio.aec import AecConfig, EchoCanceller, PassthroughEchoCanceller, make_echo_canceller
from audio.endpoint import EndpointConfig, Endpointer, PushToTalkEndpointer, VadEndpointer
from audio.resample import StreamResampler
from audio.vad import make_vad
from audio.sources import AudioSource
from audio.types import STT_RATE, EndpointEvent, UnsupportedSampleRate


@dataclass(frozen=True)
class StageCounters:
    """How much audio went through (for `hearth listen` and benchmarks)."""

    blocks: int
    seconds: float


class HearingPipeline:
    def __init__(self, source: AudioSource, endpointer: Endpointer, aec: EchoCanceller | None = None) -> None:
        self.source, self.endpointer = source, endpointer
        self.aec = aec or PassthroughEchoCanceller(STT_RATE)
        if self.aec.sample_rate != STT_RATE:
            raise UnsupportedSampleRate(
                f"The echo canceller must run at {STT_RATE} Hz (it runs at {self.aec.sample_rate} Hz)."
            )
        self._resampler = StreamResampler(source.format.sample_rate, STT_RATE)
        self._blocks = 0
        self._samples = 0

    def process_block(self, pcm: np.ndarray) -> list[EndpointEvent]:
        """One source block through resampling, echo cancellation and endpointing."""
        x = self._resampler.process(pcm)
        x = self.aec.process_near_end(x)
        self._blocks += 1
        self._samples += len(x)
        return self.endpointer.process(x)

    def events(self) -> Iterator[EndpointEvent]:
        """Run until the source ends (files) or is closed (microphone); the open turn is flushed at the end."""
        try:
            for block in self.source.blocks():
                yield from self.process_block(block.pcm)
        finally:
            self.source.close()
        yield from self.endpointer.flush()

    @property
    def counters(self) -> StageCounters:
        return StageCounters(self._blocks, self._samples / STT_RATE)


def build_hearing(
    source: AudioSource,
    endpoint: EndpointConfig | None = None,
    push_to_talk: bool = False,
    vad_backend: str = "silero",
    aec_backend: str = "webrtc",
) -> tuple[HearingPipeline, tuple[str, ...]]:
    """The standard chain for ``source``; returns it with notes for the user about any fallback taken."""
    cfg = endpoint or EndpointConfig()
    notes: list[str] = []
    aec, note = make_echo_canceller(aec_backend, AecConfig(sample_rate=STT_RATE))
    notes += [note] if note else []
    if push_to_talk:
        endpointer: Endpointer = PushToTalkEndpointer(cfg, STT_RATE)
    else:
        vad, note = make_vad(vad_backend, STT_RATE)
        notes += [note] if note else []
        endpointer = VadEndpointer(vad, cfg)
    return HearingPipeline(source, endpointer, aec), tuple(notes)
