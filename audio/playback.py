"""A callback-driven speech player with no pre-buffer, instant flush and an exact record of what was heard.

:class:`Player` owns a queue of speech pieces, each tagged with the (turn, clause) it belongs to. A backend pulls
fixed-size blocks from it with :meth:`Player.fill` (the sounddevice callback, or a test calling it directly):
the first sample of the first piece goes out in the very next block, there is no start threshold.
:meth:`Player.flush` drops everything queued; because ``fill`` and ``flush`` share one lock, the block being
written when flush is called is the last one with speech (the stop takes at most one block, 10 ms by default),
and the returned :class:`FlushReport` counts exactly the samples handed to the device per clause.

Every block written (speech or silence) also goes to ``on_far_end(pcm, sample_rate)``, the echo canceller's
reference. Underruns and device failures become typed events given to ``on_event`` — never exceptions out of
the audio callback. Both callbacks run on the audio thread: they must not block.

Backends: :class:`ArrayBackend` (tests: pull blocks by hand), :class:`FileBackend` (render to a WAV file) and
:class:`SoundDeviceBackend` (PortAudio through sounddevice, imported lazily).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np

from audio.types import AudioError

FarEnd = Callable[[np.ndarray, int], None]


@dataclass(frozen=True)
class ClauseTag:
    """Which piece of which reply a chunk of speech belongs to."""

    turn_id: int
    clause_id: int


# ---------------------------------------------------------------------------------------------------- events
@dataclass(frozen=True)
class ClauseStarted:
    tag: ClauseTag


@dataclass(frozen=True)
class ClauseFinished:
    tag: ClauseTag
    samples: int  # at the player's output rate


@dataclass(frozen=True)
class Drained:
    """The queue ran empty after the final chunk of ``tag``: everything queued has been played."""

    tag: ClauseTag


@dataclass(frozen=True)
class Underrun:
    """Speech was expected (the clause had no final chunk yet) but none was queued: ``missing`` samples of silence."""

    tag: ClauseTag
    missing: int


@dataclass(frozen=True)
class DeviceUnderflow:
    """The device itself reported an output underflow (the callback came too late)."""


@dataclass(frozen=True)
class DeviceFailed:
    """The output device could not be opened or stopped working; ``message`` says what to do."""

    message: str
    detail: str = ""


PlayerEvent = ClauseStarted | ClauseFinished | Drained | Underrun | DeviceUnderflow | DeviceFailed


# ---------------------------------------------------------------------------------------------------- reports
@dataclass(frozen=True)
class ClauseHeard:
    """How much of one clause reached the device: ``samples_played`` of ``samples_total`` at ``sample_rate``."""

    tag: ClauseTag
    samples_played: int
    samples_total: int
    sample_rate: int

    @property
    def seconds_played(self) -> float:
        return self.samples_played / self.sample_rate

    @property
    def seconds_total(self) -> float:
        return self.samples_total / self.sample_rate

    @property
    def complete(self) -> bool:
        return self.samples_played >= self.samples_total


@dataclass(frozen=True)
class FlushReport:
    """What a flush stopped: per clause (in queue order), how much was heard before the stop."""

    clauses: tuple[ClauseHeard, ...] = ()

    def heard_seconds(self, turn_id: int) -> dict[int, float]:
        return {c.tag.clause_id: c.seconds_played for c in self.clauses if c.tag.turn_id == turn_id}

    def clause_seconds(self, turn_id: int) -> dict[int, float]:
        return {c.tag.clause_id: c.seconds_total for c in self.clauses if c.tag.turn_id == turn_id}


@dataclass
class _Piece:
    tag: ClauseTag
    pcm: np.ndarray = field(repr=False)  # at the output rate
    last: bool
    pos: int = 0


@dataclass
class _Ledger:
    played: int = 0
    total: int = 0


# ---------------------------------------------------------------------------------------------------- player
class Player:
    """The queue and the block callback; thread-safe (``enqueue``/``flush`` from any thread, ``fill`` from audio)."""

    def __init__(
        self,
        sample_rate: int = 24000,
        block_size: int | None = None,
        on_far_end: FarEnd | None = None,
        on_event: Callable[[PlayerEvent], None] | None = None,
        volume: float = 1.0,
        keep_turns: int = 4,
    ) -> None:
        self.sample_rate = sample_rate
        self.block_size = block_size or sample_rate // 100  # 10 ms
        self.on_far_end = on_far_end
        self.on_event = on_event
        self.volume = volume
        self._keep_turns = keep_turns
        self._lock = threading.Lock()
        self._queue: deque[_Piece] = deque()
        self._ledger: dict[ClauseTag, _Ledger] = {}
        self._playing: ClauseTag | None = None  # tag of the last piece that produced samples
        self._awaiting: ClauseTag | None = None  # its clause had no final chunk when the queue ran dry
        self.samples_out = 0  # every sample written, speech or silence

    # -------------------------------------------------------------------------------------- producer side
    def enqueue(self, pcm: np.ndarray, sample_rate: int, tag: ClauseTag, last: bool = True) -> None:
        """Queue mono speech; ``last=False`` when more chunks of the same clause will follow."""
        data = np.asarray(pcm, dtype=np.float32).reshape(-1)
        if sample_rate != self.sample_rate:
            from audio.resample import resample

            data = resample(data, sample_rate, self.sample_rate)
        with self._lock:
            self._queue.append(_Piece(tag, data, last))
            self._ledger.setdefault(tag, _Ledger()).total += len(data)
            self._trim_ledger()

    def flush(self, turn_id: int | None = None) -> FlushReport:
        """Stop now: drop every queued piece (of ``turn_id``, or all); report what was heard of each clause."""
        with self._lock:
            self._queue = deque(p for p in self._queue if turn_id is not None and p.tag.turn_id != turn_id)
            tags = [t for t in self._ledger if turn_id is None or t.turn_id == turn_id]
            report = FlushReport(tuple(self._heard(t) for t in tags))
            for t in tags:
                del self._ledger[t]
            if self._playing is not None and self._playing in tags:
                self._playing = self._awaiting = None
        return report

    def report(self, turn_id: int) -> FlushReport:
        """What has been heard of ``turn_id`` so far, without stopping anything."""
        with self._lock:
            return FlushReport(tuple(self._heard(t) for t in self._ledger if t.turn_id == turn_id))

    @property
    def queued_samples(self) -> int:
        with self._lock:
            return sum(len(p.pcm) - p.pos for p in self._queue)

    def has_queued(self, turn_id: int) -> bool:
        """True while any audio of ``turn_id`` waits to be played."""
        with self._lock:
            return any(p.tag.turn_id == turn_id for p in self._queue)

    @property
    def idle(self) -> bool:
        return self.queued_samples == 0

    # -------------------------------------------------------------------------------------- audio side
    def fill(self, out: np.ndarray) -> None:
        """Write the next ``len(out)`` samples into ``out`` (1-D, or frames x channels): speech, else silence."""
        frames = out.shape[0]
        block = np.zeros(frames, dtype=np.float32)
        events: list[PlayerEvent] = []
        with self._lock:
            written = self._copy_queued(block, events)
            if written < frames and self._awaiting is not None:
                events.append(Underrun(self._awaiting, frames - written))
        if self.volume != 1.0:
            block *= self.volume
        if out.ndim == 1:
            out[:] = block
        else:
            out[:] = block[:, None]
        self.samples_out += frames
        if self.on_far_end is not None:
            self.on_far_end(block, self.sample_rate)
        for ev in events:
            self._emit(ev)

    def _copy_queued(self, block: np.ndarray, events: list[PlayerEvent]) -> int:
        written = 0
        while written < len(block) and self._queue:
            piece = self._queue[0]
            if piece.tag != self._playing:
                events.append(ClauseStarted(piece.tag))
                self._playing = piece.tag
            n = min(len(block) - written, len(piece.pcm) - piece.pos)
            block[written : written + n] = piece.pcm[piece.pos : piece.pos + n]
            piece.pos += n
            written += n
            if piece.tag in self._ledger:
                self._ledger[piece.tag].played += n
            if piece.pos >= len(piece.pcm):
                self._queue.popleft()
                self._piece_done(piece, events)
        return written

    def _piece_done(self, piece: _Piece, events: list[PlayerEvent]) -> None:
        self._awaiting = None if piece.last else piece.tag
        if piece.last:
            ledger = self._ledger.get(piece.tag)
            events.append(ClauseFinished(piece.tag, ledger.played if ledger else len(piece.pcm)))
            if not self._queue:
                events.append(Drained(piece.tag))

    def _heard(self, tag: ClauseTag) -> ClauseHeard:
        ledger = self._ledger[tag]
        return ClauseHeard(tag, ledger.played, ledger.total, self.sample_rate)

    def _trim_ledger(self) -> None:
        turns = sorted({t.turn_id for t in self._ledger})
        queued = {p.tag.turn_id for p in self._queue}
        for old in turns[: max(0, len(turns) - self._keep_turns)]:
            if old not in queued:
                for t in [t for t in self._ledger if t.turn_id == old]:
                    del self._ledger[t]

    def _emit(self, ev: PlayerEvent) -> None:
        if self.on_event is not None:
            self.on_event(ev)

    def device_event(self, ev: PlayerEvent) -> None:
        """Backends report device-level problems through the player's event callback."""
        self._emit(ev)


# ---------------------------------------------------------------------------------------------------- backends
class PlaybackBackend(Protocol):
    def start(self, player: Player) -> None: ...

    def stop(self) -> None: ...


class ArrayBackend:
    """No device: the test calls :meth:`pull` to run the callback one block at a time; output accumulates."""

    def __init__(self) -> None:
        self.player: Player | None = None
        self.blocks: list[np.ndarray] = []

    def start(self, player: Player) -> None:
        self.player = player

    def pull(self, blocks: int = 1) -> np.ndarray:
        assert self.player is not None, "start(player) first"
        out = []
        for _ in range(blocks):
            buf = np.zeros(self.player.block_size, dtype=np.float32)
            self.player.fill(buf)
            out.append(buf)
        self.blocks += out
        return np.concatenate(out)

    @property
    def output(self) -> np.ndarray:
        return np.concatenate(self.blocks) if self.blocks else np.zeros(0, dtype=np.float32)

    def stop(self) -> None:
        pass


class FileBackend(ArrayBackend):
    """Renders the queue to a WAV file on :meth:`drain` (as fast as possible, in player blocks)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)

    def drain(self, max_seconds: float = 3600.0) -> Path:
        assert self.player is not None, "start(player) first"
        limit = int(max_seconds * self.player.sample_rate / self.player.block_size)
        for _ in range(limit):
            if self.player.idle:
                break
            self.pull()
        from audio.wav import write_wav

        return write_wav(self.path, self.output, self.player.sample_rate)


class SoundDeviceBackend:
    """The real speaker through PortAudio; opening failures raise :class:`AudioError` with the fix."""

    def __init__(self, device: int | str | None = None, latency: str | float = "low") -> None:
        self.device = device
        self.latency = latency
        self._stream: Any = None
        self._player: Player | None = None

    def start(self, player: Player) -> None:
        from audio.devices import import_sounddevice

        sd = import_sounddevice()  # AudioBackendUnavailable with the install hint
        self._player = player
        try:
            self._stream = sd.OutputStream(
                samplerate=player.sample_rate, blocksize=player.block_size, channels=1, dtype="float32",
                device=self.device, latency=self.latency, callback=self._callback,
            )
            self._stream.start()
        except Exception as e:  # PortAudioError, ValueError for a bad device
            self._stream = None
            msg = f"Could not open the speaker ({e}). Check the output device in Settings, or use --out FILE.wav."
            player.device_event(DeviceFailed(msg, repr(e)))
            raise AudioError(msg) from None

    def _callback(self, outdata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        player = self._player
        if player is None:
            outdata.fill(0)
            return
        try:
            if status and getattr(status, "output_underflow", False):
                player.device_event(DeviceUnderflow())
            player.fill(outdata)
        except Exception as e:  # never let an exception kill the audio thread
            outdata.fill(0)
            player.device_event(DeviceFailed("Speech playback failed; it will resume with the next reply.", repr(e)))

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            stream.stop()
            stream.close()
        except Exception as e:
            if self._player is not None:
                self._player.device_event(DeviceFailed("The speaker did not close cleanly.", repr(e)))
