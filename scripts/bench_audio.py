"""Hearing benchmark: CPU cost of capture + AEC + VAD + endpointing, end-of-speech delay, tiny-Whisper STT speed.

    uv run python scripts/bench_audio.py [--seconds 30] [--no-stt]

1. CPU per second of audio (process CPU time / audio time, % of one core; target <= 5 %), stage by stage, on espeak
   speech captured at 48 kHz in 20 ms blocks. The baseline row (in the same run) is the bare capture path: the
   PortAudio-callback copy into the ring buffer and the block read-out.
2. End-of-speech detection delay (time the end of turn is decided minus the true end of speech) over the espeak
   phrase set, median and p95, for two pause settings; plus the VAD end-boundary error.
3. Speech-to-text on the tiny random-weight Whisper: load time and real-time factor (random weights: speed only).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts"), str(ROOT / "tests" / "audio")]

import audio_testdata as td  # noqa: E402
from audio.aec import AecConfig, WebRtcEchoCanceller  # noqa: E402
from audio.endpoint import EndpointConfig, VadEndpointer  # noqa: E402
from audio.resample import StreamResampler, resample  # noqa: E402
from audio.ring import RingBuffer  # noqa: E402
from audio.types import SpeechEnded  # noqa: E402
from audio.vad import EnergyVad, SileroVad  # noqa: E402

CAPTURE_RATE, BLOCK = 48000, 960  # 20 ms blocks at 48 kHz


def cpu_of(fn: Callable[[], None]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def stage_costs(mic48: np.ndarray, far16: np.ndarray) -> list[tuple[str, float]]:
    """CPU seconds of each stage over the whole signal (each stage timed on its own input)."""
    blocks = [mic48[i : i + BLOCK] for i in range(0, len(mic48) - BLOCK + 1, BLOCK)]
    ring, out = RingBuffer(CAPTURE_RATE * 4), np.empty(BLOCK, np.float32)

    def capture() -> None:
        for b in blocks:
            ring.write(b)  # what the PortAudio callback does
            ring.read_into(out)

    rs = StreamResampler(CAPTURE_RATE, 16000)
    mic16: list[np.ndarray] = []
    costs = [("capture: callback copy + ring read", cpu_of(capture))]
    costs.append(("resample 48 kHz -> 16 kHz", cpu_of(lambda: mic16.extend(rs.process(b) for b in blocks))))
    n16 = len(mic16[0])
    aec_out: list[np.ndarray] = []

    def aec_run(cfg: AecConfig, far: np.ndarray, sink: list) -> Callable[[], None]:
        aec = WebRtcEchoCanceller(cfg)

        def run() -> None:
            for k, b in enumerate(mic16):
                aec.push_far_end(far[k * n16 : (k + 1) * n16], 16000)
                sink.append(aec.process_near_end(b))

        return run

    silent = np.zeros_like(far16)
    costs.append(("AEC, Hearth silent (bypass, still adapting)", cpu_of(aec_run(AecConfig(), silent, []))))
    costs.append(("AEC, Hearth talking (WebRTC AEC3 + NS)", cpu_of(aec_run(AecConfig(), far16, aec_out))))
    x16 = np.concatenate(aec_out)
    for name, vad in (("VAD Silero + endpointer", SileroVad()), ("VAD energy fallback + endpointer", EnergyVad())):
        ep = VadEndpointer(vad, EndpointConfig())
        costs.append((name, cpu_of(lambda: [ep.process(x16[i : i + n16]) for i in range(0, len(x16), n16)])))
    return costs


def bench_cpu(seconds: float) -> list[tuple[str, str, str]]:
    take = td.turn_take()
    reps = int(np.ceil(seconds * td.RATE / len(take.pcm)))
    mic16 = np.tile(take.pcm, reps)[: int(seconds * td.RATE)]
    far16 = np.roll(mic16, len(mic16) // 3) * 0.5
    mic48 = resample(mic16 + td.room_echo(far16), 16000, CAPTURE_RATE)
    audio_s = len(mic16) / td.RATE
    costs = stage_costs(mic48, far16)
    base = costs[0][1]
    rows = [(name, f"{100 * c / audio_s:.3f} %", f"{c / base:.1f}x" if base > 0 else "-") for name, c in costs]
    full = sum(c for n, c in costs if "energy" not in n and "silent" not in n)
    rows.append(("TOTAL capture+AEC(talking)+Silero+endpoint", f"{100 * full / audio_s:.2f} %", f"{full / base:.1f}x"))
    return rows


def end_delays(pause_ms: float) -> tuple[list[float], list[float]]:
    delays, errors = [], []
    takes = td.phrase_set() + [td.turn_take()]
    for take in takes:
        ep = VadEndpointer(SileroVad(), EndpointConfig(min_pause_ms=pause_ms))
        events = [e for i in range(0, len(take.pcm), 320) for e in ep.process(take.pcm[i : i + 320])]
        ends = [e for e in events if isinstance(e, SpeechEnded)]
        for e, (_, true_end) in zip(ends, take.turns):
            delays.append(e.t_detected - true_end)
            errors.append(e.t - true_end)
    return delays, errors


def p95(xs: list[float]) -> float:
    return float(np.percentile(xs, 95))


def bench_endpoint() -> list[tuple[str, str, str]]:
    rows = []
    for pause in (500.0, 700.0):
        d, err = end_delays(pause)
        rows.append(
            (
                f"end-of-speech delay, pause {pause:.0f} ms (n={len(d)})",
                f"median {1000 * statistics.median(d):.0f} ms",
                f"p95 {1000 * p95(d):.0f} ms",
            )
        )
    rows.append(("VAD end-boundary error (median |err|, p95 |err|)",
                 f"{1000 * statistics.median(map(abs, err)):.0f} ms", f"{1000 * p95([abs(e) for e in err]):.0f} ms"))
    return rows


COLD = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from models.base import ModelFolder
from models.stt_mlx_audio import MlxAudioSTT
p = Path(sys.argv[1])
MlxAudioSTT.load(ModelFolder(p, json.loads((p / "config.json").read_text())), "tiny")
print(time.perf_counter() - t0)
"""


def cold_load_seconds(path: Path) -> float:
    import subprocess

    run = subprocess.run([sys.executable, "-c", COLD, str(path)], capture_output=True, text=True, cwd=ROOT,
                         env={**__import__("os").environ, "PYTHONPATH": str(ROOT)}, check=True)
    return float(run.stdout.strip().splitlines()[-1])


def bench_stt() -> list[tuple[str, str, str]]:
    from tiny import build

    from models.base import ModelFolder
    from models.stt_mlx_audio import MlxAudioSTT

    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        path = build("whisper", Path(d))
        t_build = time.perf_counter() - t0
        import json

        folder = ModelFolder(path, json.loads((path / "config.json").read_text()))
        t_cold = cold_load_seconds(path)
        t0 = time.perf_counter()
        stt = MlxAudioSTT.load(folder, "tiny-whisper")
        t_warm = time.perf_counter() - t0
        clips = [t.pcm for t in td.phrase_set()[:4]]
        stt.transcribe(clips[0], 16000)  # warm-up
        t0 = time.perf_counter()
        for c in clips:
            stt.transcribe(c, 16000)
        rtf = (time.perf_counter() - t0) / (sum(map(len, clips)) / 16000)
    return [
        ("tiny whisper: build", f"{t_build:.2f} s", ""),
        ("tiny whisper: load (fresh process incl. imports / warm)", f"{t_cold:.2f} s", f"{t_warm:.2f} s"),
        (f"tiny whisper: real-time factor ({len(clips)} clips)", f"RTF {rtf:.3f}", f"{1 / rtf:.0f}x real time"),
    ]


def print_table(title: str, rows: list[tuple[str, str, str]], heads: tuple[str, str]) -> None:
    w = max(len(r[0]) for r in rows) + 2
    print(f"\n{title}\n{'':{w}}{heads[0]:>20}{heads[1]:>22}")
    for name, a, b in rows:
        print(f"{name:{w}}{a:>20}{b:>22}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30.0, help="audio length for the CPU measurement")
    ap.add_argument("--no-stt", action="store_true")
    args = ap.parse_args()
    if not td.have_espeak():
        print("espeak-ng is required (apt-get install espeak-ng)", file=sys.stderr)
        return 2
    print_table(f"CPU per second of audio ({args.seconds:.0f} s, 48 kHz capture, 20 ms blocks; target total <= 5 %)",
                bench_cpu(args.seconds), ("% of one core", "vs capture baseline"))
    print_table("Endpointing on espeak speech (Silero)", bench_endpoint(), ("", ""))
    if not args.no_stt:
        print_table("Speech-to-text (tiny random Whisper, float32, MLX CPU)", bench_stt(), ("", ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
