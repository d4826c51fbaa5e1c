"""Sample-rate conversion with scipy's polyphase filters: whole signals, and a streaming resampler for blocks.

The streaming resampler runs one causal polyphase FIR (scipy.signal.upfirdn) over the new block plus enough history
to cover the filter, so consecutive blocks join seamlessly; its fixed delay is ``delay_seconds`` (well under 1 ms).
"""

from __future__ import annotations

from math import gcd

import numpy as np

from audio.types import UnsupportedSampleRate

_HALF_TAPS = 10  # filter half-length per phase: the resample_poly default quality


def _check_rate(rate: int) -> None:
    if not isinstance(rate, int) or rate < 1000 or rate > 384000:
        raise UnsupportedSampleRate(
            f"Unsupported sample rate {rate!r} Hz. Use a rate between 1000 and 384000 Hz, e.g. 16000 or 48000."
        )


def resample(pcm: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Resample a whole mono signal; returns float32."""
    _check_rate(src_rate)
    _check_rate(dst_rate)
    x = np.asarray(pcm, dtype=np.float32)
    if src_rate == dst_rate or len(x) == 0:
        return x.copy()
    from scipy.signal import resample_poly

    g = gcd(src_rate, dst_rate)
    return resample_poly(x, dst_rate // g, src_rate // g).astype(np.float32)


class StreamResampler:
    """Resample a stream block by block; output blocks concatenate to a continuous (slightly delayed) signal."""

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        _check_rate(src_rate)
        _check_rate(dst_rate)
        g = gcd(src_rate, dst_rate)
        self.src_rate, self.dst_rate = src_rate, dst_rate
        self._up, self._down = dst_rate // g, src_rate // g
        self._passthrough = self._up == self._down == 1
        if not self._passthrough:
            from scipy.signal import firwin

            n = 2 * _HALF_TAPS * max(self._up, self._down) + 1
            self._h = (firwin(n, 1.0 / max(self._up, self._down), window=("kaiser", 5.0)) * self._up).astype(
                np.float64
            )
            hist = -(-(len(self._h) - 1) // self._up)  # input samples the filter reaches back
            self._hist_len = -(-hist // self._down) * self._down  # a multiple of down keeps output phase aligned
            self._buf = np.zeros(self._hist_len, dtype=np.float64)
            self._next_out = 0  # index (in upsampled-then-decimated grid) of the next output, relative to buf start
            self._skip = self._hist_len * self._up // self._down

    @property
    def delay_seconds(self) -> float:
        if self._passthrough:
            return 0.0
        return (len(self._h) - 1) / 2 / (self._up * self.src_rate)

    def process(self, block: np.ndarray) -> np.ndarray:
        x = np.asarray(block, dtype=np.float32)
        if self._passthrough:
            return x.copy()
        from scipy.signal import upfirdn

        buf = np.concatenate([self._buf, x.astype(np.float64)])
        y = upfirdn(self._h, buf, self._up, self._down)
        # outputs whose upsampled index lies inside the buffer are final (the filter is causal)
        n_valid = (len(buf) * self._up - 1) // self._down + 1
        out = y[self._skip : n_valid]
        # keep the last hist_len input samples (a multiple of down) and remember where the next output starts
        keep = self._hist_len + (len(buf) - self._hist_len) % self._down
        self._buf = buf[len(buf) - keep :]
        self._skip = n_valid - (len(buf) - keep) * self._up // self._down
        return out.astype(np.float32)
