"""Speech-to-text speed with the real Whisper tiny.en: Hearth's adapter (and engine) vs mlx-audio called directly.

    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 uv run python scripts/bench_stt.py [--reps 5]

The model comes from scripts/real_models.py (fetched and converted on first use). Clips are espeak-ng speech of
three lengths at 16 kHz. Per clip and language setting (none / fixed "en"), the three paths run interleaved, ``reps``
times each after one warm-up, and the fastest run is kept (the machine is shared: slower runs measure the others'
load, not the code):
- direct: ``mlx_audio.stt.utils.load`` + ``model.generate`` with the adapter's decoding options, cast to float32 like
  the adapter does on the CPU (mlx-audio loads Whisper as float16, ~30x slower on MLX's CPU backend);
- adapter: ``MlxAudioSTT.transcribe`` (Hearth's adapter: input checks, resampling, the same generate call);
- engine: a ``Transcribe`` request through Hearth's engine thread until its ``TranscriptEvent``.
RTF = compute seconds / audio seconds (lower is faster); overhead = adapter (engine) time / direct time - 1.
"""

from __future__ import annotations

import argparse
import json
import queue
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

CLIPS = {
    "short": "Set a timer for ten minutes.",
    "medium": "What is the weather like today, and do I need an umbrella for the walk to the station?",
    "long": ("Please read me the first three items on my shopping list, then remind me to call my sister at five "
             "thirty, and after that play some quiet music in the living room until dinner is ready."),
}


def speech(text: str) -> np.ndarray:
    from audio.resample import resample
    from audio.wav import read_wav

    with tempfile.TemporaryDirectory() as d:
        wav = Path(d) / "s.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), text], check=True)
        pcm, rate = read_wav(wav)
    return resample(pcm, rate, 16000)


def direct_model(folder: Path) -> Any:
    import mlx.core as mx
    from mlx_audio.stt.utils import load

    model = load(folder)
    model.set_dtype(mx.float32)
    model.dtype = mx.float32
    return model


def direct_call(model: Any, language: str | None) -> Callable[[np.ndarray], str]:
    from models.stt_mlx_audio import WHISPER_TEMPERATURES

    def run(x: np.ndarray) -> str:
        out = model.generate(x, language=language, temperature=WHISPER_TEMPERATURES, return_timestamps=False,
                             condition_on_previous_text=False, fp16=False, verbose=None)
        return str(out.text).strip()

    return run


def adapter_call(stt: Any) -> Callable[[np.ndarray], str]:
    return lambda x: stt.transcribe(x, 16000).text


def pinned_copy(folder: Path, language: str, into: Path) -> Path:
    """``folder`` with ``hearth_language`` set in its config.json (Hearth's way to fix the language): the other
    files are symlinks."""
    into.mkdir(parents=True, exist_ok=True)
    for f in folder.iterdir():
        if f.name != "config.json" and not (into / f.name).exists():
            (into / f.name).symlink_to(f)
    config = json.loads((folder / "config.json").read_text())
    (into / "config.json").write_text(json.dumps({**config, "hearth_language": language}, indent=2))
    return into


class EnginePath:
    """Hearth's engine thread with the real Whisper loaded; ``call(language)`` transcribes one clip through it."""

    def __init__(self, folder: Path) -> None:
        from app.engine.messages import ErrorEvent, LoadModel, ModelLoaded, Transcribe, TranscriptEvent
        from app.engine.runtime import make_engine
        from app.config.settings import Settings
        from models.base import Role

        self.events: queue.Queue[Any] = queue.Queue()
        self.Transcribe, self.TranscriptEvent, self.ErrorEvent = Transcribe, TranscriptEvent, ErrorEvent
        self.engine = make_engine(self.events.put, Settings()).start()
        self.engine.submit(LoadModel(Role.STT, str(folder)))
        event = self.events.get(timeout=600)
        if not isinstance(event, ModelLoaded):
            raise SystemExit(f"engine could not load {folder}: {event}")
        self.turn = 0

    def call(self) -> Callable[[np.ndarray], str]:
        def run(x: np.ndarray) -> str:
            self.turn += 1
            self.engine.submit(self.Transcribe(self.turn, x, 16000))
            while True:
                event = self.events.get(timeout=600)
                if isinstance(event, self.ErrorEvent):
                    raise SystemExit(event.message)
                if isinstance(event, self.TranscriptEvent) and event.turn_id == self.turn:
                    return event.text

        return run

    def close(self) -> None:
        self.engine.stop()


def own_work_ms(x16: np.ndarray) -> dict[str, float]:
    """The adapter's own per-call work outside the model (input checks; resampling for 48 kHz), in ms."""
    from audio.resample import resample
    from models.stt_mlx_audio import _to_16k

    x48 = resample(x16, 16000, 48000)
    out = {}
    for rate, x in ((16000, x16), (48000, x48)):
        t0 = time.perf_counter()
        for _ in range(20):
            _to_16k(x, rate)
        out[f"{rate // 1000} kHz"] = (time.perf_counter() - t0) / 20 * 1000
    return out


def timed(fn: Callable[[np.ndarray], str], x: np.ndarray) -> tuple[float, str]:
    t0 = time.perf_counter()
    text = fn(x)
    return time.perf_counter() - t0, text


def measure(paths: dict[str, Callable[[np.ndarray], str]], x: np.ndarray, reps: int) -> dict[str, tuple[float, str]]:
    for fn in paths.values():  # warm-up (compilation, caches)
        fn(x)
    times: dict[str, list[float]] = {name: [] for name in paths}
    texts: dict[str, str] = {}
    for _ in range(reps):
        for name, fn in paths.items():  # interleaved: load from other jobs hits every path alike
            dt, texts[name] = timed(fn, x)
            times[name].append(dt)
    return {name: (min(ts), texts[name]) for name, ts in times.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--engine", action=argparse.BooleanOptionalAction, default=True,
                    help="also time the engine-thread path")
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args(argv)

    import real
    from models.base import ModelFolder
    from models.stt_mlx_audio import MlxAudioSTT

    folder = real.ensure("whisper-tiny.en", log=lambda msg: print(msg, file=sys.stderr))
    tmp = tempfile.TemporaryDirectory()
    folders = {None: folder, "en": pinned_copy(folder, "en", Path(tmp.name) / "whisper-en")}
    model = direct_model(folder)
    adapters, engines = {}, {}
    for language, f in folders.items():
        adapters[language] = MlxAudioSTT.load(ModelFolder(f, json.loads((f / "config.json").read_text())), str(f))
        assert adapters[language].language == language
        if args.engine:
            engines[language] = EnginePath(f)
    rows = []
    for clip, text in CLIPS.items():
        x = speech(text)
        for language in folders:
            paths = {"direct": direct_call(model, language), "adapter": adapter_call(adapters[language])}
            if args.engine:
                paths["engine"] = engines[language].call()
            res = measure(paths, x, args.reps)
            secs = len(x) / 16000
            row = {"clip": clip, "audio_s": round(secs, 2), "language": language or "auto",
                   **{f"{k}_rtf": round(v[0] / secs, 4) for k, v in res.items()},
                   **{f"{k}_s": round(v[0], 3) for k, v in res.items()},
                   "same_text": len({v[1] for v in res.values()}) == 1, "text": res["adapter"][1]}
            rows.append(row)
    for engine in engines.values():
        engine.close()
    tmp.cleanup()
    print_table(rows)
    own = own_work_ms(x)
    print("adapter's own work per call on the long clip (checks, resampling): "
          + ", ".join(f"{k} input {v:.2f} ms" for k, v in own.items()))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


def print_table(rows: list[dict[str, Any]]) -> None:
    has_engine = "engine_rtf" in rows[0]
    head = f"{'clip':7s} {'audio s':>7s} {'lang':>5s} | {'direct RTF':>10s} {'adapter RTF':>11s} {'overhead':>8s}"
    head += f" | {'engine RTF':>10s} {'overhead':>8s}" if has_engine else ""
    print(head + " | same text")
    print("-" * len(head) + "-" * 12)
    for r in rows:
        line = (f"{r['clip']:7s} {r['audio_s']:7.2f} {r['language']:>5s} | {r['direct_rtf']:10.3f} "
                f"{r['adapter_rtf']:11.3f} {100 * (r['adapter_s'] / r['direct_s'] - 1):+7.1f}%")
        if has_engine:
            line += f" | {r['engine_rtf']:10.3f} {100 * (r['engine_s'] / r['direct_s'] - 1):+7.1f}%"
        print(line + f" | {'yes' if r['same_text'] else 'NO'}")
    total = {k: sum(r[f"{k}_s"] for r in rows) for k in ("direct", "adapter", "engine") if f"{k}_s" in rows[0]}
    parts = ", ".join(f"{k} {100 * (v / total['direct'] - 1):+.1f}%" for k, v in total.items() if k != "direct")
    print(f"\nall clips: Hearth overhead vs mlx-audio direct (sum of best times): {parts} (goal <= 5 %)")
    print("best of interleaved runs in one process; RTF = compute s / audio s; float32 on MLX's CPU backend")
    for r in rows:
        if r["language"] == "auto":
            print(f"  {r['clip']}: {r['text']!r}")


if __name__ == "__main__":
    raise SystemExit(main())
