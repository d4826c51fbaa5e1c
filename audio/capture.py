"""Microphone capture through sounddevice/PortAudio.

The PortAudio callback only copies into a preallocated :class:`~audio.ring.RingBuffer`; ``blocks()`` (any other thread)
reads fixed-size blocks from it. A device that stops delivering audio (unplugged, taken away) raises
:class:`DeviceLost`, or — with ``fallback_to_default`` — reopens the default device and reports a
:class:`DeviceSwitched` notice through ``on_notice``.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterator

import numpy as np

from audio.devices import DeviceInfo, check_input_rate, find_input_device, import_sounddevice
from audio.ring import RingBuffer
from audio.types import AudioBlock, AudioError, AudioFormat, DeviceLost, DeviceNotFound, DeviceSwitched


class MicrophoneSource:
    def __init__(
        self,
        device: str | None = None,
        sample_rate: int | None = None,
        block_ms: float = 20.0,
        fallback_to_default: bool = True,
        on_notice: Callable[[DeviceSwitched], None] | None = None,
        stall_timeout_s: float = 1.0,
        ring_seconds: float = 4.0,
        sd: Any | None = None,
    ) -> None:
        self._sd = sd
        self._want_device, self._want_rate = device, sample_rate
        self._block_ms, self._fallback = block_ms, fallback_to_default
        self._on_notice, self._stall_timeout, self._ring_seconds = on_notice, stall_timeout_s, ring_seconds
        self._stream: Any = None
        self._closed = False
        self.device: DeviceInfo | None = None
        self.status_errors = 0  # PortAudio over/underflow flags seen by the callback
        self.max_recoveries = 3  # reopen attempts in a row without audio before giving up
        self._recoveries = 0
        self._open(device)

    # ------------------------------------------------------------------------------------------------ lifecycle
    def _open(self, name: str | None) -> None:
        sd = self._sd or import_sounddevice()
        self._sd = sd
        dev = find_input_device(name, sd)
        rate = self._want_rate or dev.default_sample_rate
        check_input_rate(dev, rate, sd)
        block = max(1, int(round(rate * self._block_ms / 1000.0)))
        if self.device is None:  # first open fixes the stream format; reopening keeps it (resampling is downstream)
            self._format, self._block = AudioFormat(rate), block
        self._ring = RingBuffer(max(4 * block, int(rate * self._ring_seconds)))
        try:
            stream = sd.InputStream(
                device=dev.index,
                channels=1,
                samplerate=self._format.sample_rate,
                blocksize=self._block,
                dtype="float32",
                callback=self._callback,
            )
            stream.start()
        except Exception as e:  # PortAudioError: device busy / vanished between query and open
            raise DeviceLost(f"Could not open the microphone {dev.name!r} ({e}). Close other programs using it.") from None
        self._stream, self.device = stream, dev

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        # real-time thread: copy only (RingBuffer.write does no allocation)
        if status:
            self.status_errors += 1
        self._ring.write(indata[:, 0])

    def close(self) -> None:
        self._closed = True
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:  # closing a vanished device may fail; nothing left to release
                pass

    # ---------------------------------------------------------------------------------------------------- reading
    @property
    def format(self) -> AudioFormat:
        return self._format

    @property
    def block_size(self) -> int:
        return self._block

    @property
    def dropped_samples(self) -> int:
        return self._ring.dropped

    def blocks(self) -> Iterator[AudioBlock]:
        sr, n = self._format.sample_rate, self._block
        buf = np.empty(n, dtype=np.float32)
        pos = 0  # samples delivered: the stream clock
        last_data = time.monotonic()
        while not self._closed:
            if self._ring.read_into(buf):
                yield AudioBlock(buf.copy(), sr, pos / sr)
                pos += n
                last_data, self._recoveries = time.monotonic(), 0
                continue
            stream = self._stream
            stalled = time.monotonic() - last_data > self._stall_timeout
            if stream is None or stalled or not getattr(stream, "active", True):
                if self._closed:
                    return
                self._recover()
                last_data = time.monotonic()
                continue
            time.sleep(n / sr / 4)

    def _recover(self) -> None:
        old = self.device.name if self.device else "?"
        lost = DeviceLost(
            f"The microphone {old!r} stopped delivering audio (unplugged or in use by another program). "
            "Plug it back in or choose another microphone."
        )
        self._recoveries += 1
        if not self._fallback or self._recoveries > self.max_recoveries:
            raise lost
        self.close()
        self._closed = False
        try:
            self._open(None)
        except AudioError as e:
            if isinstance(e, DeviceNotFound):
                raise DeviceLost(f"{lost} No other microphone is available.") from None
            raise
        assert self.device is not None
        if self._on_notice is not None:
            self._on_notice(
                DeviceSwitched(old, self.device.name, f"Microphone {old!r} was lost; now using {self.device.name!r}.")
            )
