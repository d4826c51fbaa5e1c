"""Live audio ports: the microphone through the hearing pipeline, and the speaker through the callback player,
whose output feeds the echo canceller as its far-end reference (barge-in without headphones)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any, Callable, TextIO

from app.loop.vocabulary import PlaybackFinished, PlaybackFlushed
from app.engine.messages import AudioChunk, ErrorEvent
from app.config.settings import Settings
from app.ports.base import AudioOut
from app.ports.pipeline import PipelineHearing, WavOut
from audio.capture import MicrophoneSource
from audio.endpoint import EndpointConfig
from audio.pipeline import build_hearing
from audio.playback import ClauseFinished, ClauseTag, DeviceFailed, Drained, Player, SoundDeviceBackend

Post = Callable[[Any], None]


class PlayerOut:
    """AudioOut over :class:`audio.playback.Player` (any backend)."""

    available = True

    def __init__(self, player: Player, backend: Any) -> None:
        self.player, self.backend = player, backend
        self._post: Post = lambda _e: None
        self._finishing: int | None = None
        self._lock = threading.Lock()
        player.on_event = self._on_player_event

    def start(self, post: Post) -> None:
        self._post = post
        self.backend.start(self.player)

    def play(self, chunk: AudioChunk) -> None:
        self.player.enqueue(chunk.pcm, chunk.sample_rate, ClauseTag(chunk.turn_id, chunk.clause_id),
                            last=chunk.last)

    def finish(self, turn_id: int) -> None:
        with self._lock:
            self._finishing = turn_id
        if self.player.idle:
            self._post(PlaybackFinished(turn_id))

    def flush(self, turn_id: int) -> PlaybackFlushed:
        report = self.player.flush(turn_id)
        return PlaybackFlushed(turn_id, report.heard_seconds(turn_id), report.clause_seconds(turn_id))

    def stop(self) -> None:
        self.backend.stop()

    def _on_player_event(self, event: Any) -> None:  # audio thread: only hand over
        if isinstance(event, (Drained, ClauseFinished)):
            with self._lock:
                finishing = self._finishing
                done = finishing is not None and not self.player.has_queued(finishing) and (
                    isinstance(event, Drained) or event.tag.turn_id == finishing)
                if done:
                    self._finishing = None  # said once, even if a cue queued behind it drains later
            if done:
                self._post(PlaybackFinished(finishing))
        elif isinstance(event, DeviceFailed):
            self._post(ErrorEvent(event.message, detail=event.detail))


class EnterToTalk:
    """Terminal push-to-talk: Enter starts talking, Enter again stops (terminals have no key-up events)."""

    def __init__(self, hearing: PipelineHearing, err: TextIO) -> None:
        self.hearing, self.err, self.pressed = hearing, err, False
        threading.Thread(target=self._run, name="hearth-ptt", daemon=True).start()

    def _run(self) -> None:
        print("Press Enter to talk, Enter again when done.", file=self.err)
        for _line in sys.stdin:
            self.pressed = not self.pressed
            self.hearing.push_to_talk(self.pressed)
            print("[listening…]" if self.pressed else "[sent]", file=self.err)


def live_speaker(settings: Settings, out: Path | None, far_end: Any) -> AudioOut:
    """The speaker, or with ``out`` a WAV file written as replies come (a file has no clock to drain it, so the
    incremental WavOut, not a player backend that would only be emptied at exit and keep turns from finishing)."""
    if out is not None:
        return WavOut(out)  # AudioFileError for a missing or read-only folder, before any work
    player = Player(24000, on_far_end=far_end, volume=settings.voice.volume)
    return PlayerOut(player, SoundDeviceBackend(settings.audio.output_device or None))


def live_ports(settings: Settings, cfg: EndpointConfig, push_to_talk: bool, out: Path | None,
               err: TextIO) -> tuple[PipelineHearing, AudioOut]:
    """Microphone hearing and a speaker (or a WAV file when ``out`` is given). Raises AudioError with the fix."""
    a = settings.audio
    mic = MicrophoneSource(a.input_device or None, on_notice=lambda n: print(f"[{n.message}]", file=err))
    pipeline, notes = build_hearing(mic, cfg, push_to_talk=push_to_talk,
                                    aec_backend="webrtc" if a.echo_cancellation else "none")
    for note in notes:
        print(f"[{note}]", file=err)
    speaker = live_speaker(settings, out, pipeline.aec.push_far_end)
    hearing = PipelineHearing(pipeline)
    if push_to_talk:
        EnterToTalk(hearing, err)
    return hearing, speaker
