"""What the session needs from audio output, audio input and frames — small Protocols with 'none' stand-ins, so a
text-only session (tests, `hearth chat`-like GUIs without devices) runs the very same loop."""

from __future__ import annotations

from typing import Any, Callable, Protocol

from app.loop.vocabulary import PlaybackFlushed
from app.engine.messages import AudioChunk
from models.base import ImageInput

Post = Callable[[Any], None]


class AudioOut(Protocol):
    available: bool

    def start(self, post: Post) -> None:
        """Begin; ``post(PlaybackFinished(turn_id))`` whenever the queue drains after a turn's audio."""

    def play(self, chunk: AudioChunk) -> None: ...

    def finish(self, turn_id: int) -> None:
        """No more audio for ``turn_id``: post ``PlaybackFinished(turn_id)`` once all of it has been played."""
        ...

    def flush(self, turn_id: int) -> PlaybackFlushed:
        """Stop at once, drop what is queued, and say how much of each clause was heard."""
        ...

    def stop(self) -> None: ...


class Hearing(Protocol):
    def start(self, post: Post) -> None:
        """Begin; ``post(HeardSpeech(...))`` per utterance and ``post(MicLevel(...))`` for the meter."""

    def push_to_talk(self, pressed: bool) -> None: ...

    def set_hands_free(self, enabled: bool) -> None: ...

    def stop(self) -> None: ...


class FrameSource(Protocol):
    def latest(self) -> ImageInput | None: ...


class NoAudioOut:
    available = False

    def start(self, post: Post) -> None:
        pass

    def play(self, chunk: AudioChunk) -> None:
        pass

    def finish(self, turn_id: int) -> None:
        pass

    def flush(self, turn_id: int) -> PlaybackFlushed:
        return PlaybackFlushed(turn_id)

    def stop(self) -> None:
        pass


class NoHearing:
    def start(self, post: Post) -> None:
        pass

    def push_to_talk(self, pressed: bool) -> None:
        pass

    def set_hands_free(self, enabled: bool) -> None:
        pass

    def stop(self) -> None:
        pass


class NoFrames:
    def latest(self) -> ImageInput | None:
        return None
