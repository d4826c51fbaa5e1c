"""A stand-in for the sounddevice module: devices that can be unplugged, streams fed from a thread."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np


class FakeStream:
    def __init__(self, sd: "FakeSoundDevice", device, channels, samplerate, blocksize, dtype, callback):
        self.sd, self.device, self.rate, self.block, self.callback = sd, device, samplerate, blocksize, callback
        self.active = False
        self._thread = threading.Thread(target=self._feed, daemon=True)
        self.sent = 0

    def start(self):
        if self.sd.devices[self.device].get("unplugged"):
            raise RuntimeError("Device unavailable [PaErrorCode -9985]")
        self.active = True
        self._thread.start()

    def _feed(self):
        while self.active:
            if self.sd.devices[self.device].get("unplugged"):
                return  # like a vanished device: no more callbacks
            n = self.sent + np.arange(self.block)
            block = (self.sd.level[self.device] * np.ones((self.block, 1))).astype(np.float32)
            block[:, 0] += (n % 100) / 1e6  # a ramp so that sample order can be checked
            self.callback(block, self.block, None, None)
            self.sent += self.block
            time.sleep(0.002)

    def stop(self):
        self.active = False

    def close(self):
        self.active = False


class FakeSoundDevice:
    def __init__(self, devices: list[dict], default: int = 0):
        self.devices = devices
        self.level = {i: 0.1 * (i + 1) for i in range(len(devices))}
        self.default = SimpleNamespace(device=[default, default])
        self.streams: list[FakeStream] = []

    def query_devices(self):
        return [d for d in self.devices]

    def check_input_settings(self, device, channels, samplerate, dtype):
        if samplerate not in (16000, 44100, 48000):
            raise ValueError("Invalid sample rate [PaErrorCode -9997]")

    def InputStream(self, **kw):  # noqa: N802 (sounddevice's name)
        s = FakeStream(self, **kw)
        self.streams.append(s)
        return s


def standard() -> FakeSoundDevice:
    return FakeSoundDevice(
        [
            {"name": "Built-in Microphone", "max_input_channels": 1, "default_samplerate": 48000},
            {"name": "Speakers", "max_input_channels": 0, "default_samplerate": 48000},
            {"name": "USB Headset Mic", "max_input_channels": 1, "default_samplerate": 16000},
        ]
    )
