"""Speech latency: time from a reply's first clause of text to its first audio sample ready for the device.

    uv run python scripts/bench_tts.py [--reps 20] [--kokoro-reps 3] [--tiny-dir DIR] [--no-kokoro]

Voices: the in-process eSpeak NG voice, the `espeak-ng` command (baseline, measured in the same run: a process per
clause) and a tiny random-weight Kokoro (real Kokoro weights cannot be downloaded here; its timing only shows the
adapter runs — the architecture is ~58M parameters on MLX's CPU backend). "First audio" is measured end to end on
this thread: segmenter -> synthesize -> player.enqueue -> the player's callback filling its first block.
The pipeline's own overhead (segmenter over a token stream, queue, player callback) is measured with a voice that
costs nothing, plus the engine-thread hop (Synthesize submitted -> AudioChunk received, minus synthesis).
"""

from __future__ import annotations

import argparse
import queue
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from app.speech.segmenter import ClauseSegmenter  # noqa: E402
from audio.playback import ArrayBackend, ClauseTag, Player  # noqa: E402
from models.base import AudioPiece, ModelFolder  # noqa: E402

REPLY = ("Sure, I can help with that. The recipe needs 250 g of flour, 2 eggs and a pinch of salt. "
         "Mix everything for about 3 minutes, then let it rest.")
TOKENS = [REPLY[i : i + 4] for i in range(0, len(REPLY), 4)]  # ~4 characters per token, like an LLM's deltas


def reply_clauses() -> list[str]:
    """The clauses the segmenter cuts from the reply's token stream (the first one is what latency is about)."""
    seg = ClauseSegmenter()
    out = [c for tok in TOKENS for c in seg.feed(tok)] + seg.flush()
    return [c.text for c in out]


def first_audio(tts, text: str) -> tuple[float, float, float]:
    """(ms to the first block holding speech, seconds of audio, seconds of synthesis) for one clause."""
    t0 = time.perf_counter()
    pieces = tts.synthesize(text, None, 1.0)
    piece = next(pieces)
    player = Player(piece.sample_rate)
    backend = ArrayBackend()
    backend.start(player)
    player.enqueue(piece.pcm, piece.sample_rate, ClauseTag(1, 0), last=False)
    block = backend.pull()
    t_first = time.perf_counter()
    assert len(block) and len(piece.pcm), "no audio"
    samples = len(piece.pcm) + sum(len(p.pcm) for p in pieces)
    t_all = time.perf_counter()
    return (t_first - t0) * 1000, samples / piece.sample_rate, t_all - t0


def bench_voice(name: str, tts, text: str, reps: int) -> dict:
    first_audio(tts, text)  # warm-up (library init, G2P, MLX kernels)
    runs = [first_audio(tts, text) for _ in range(reps)]
    ms = [r[0] for r in runs]
    audio_s = runs[0][1]
    synth_s = statistics.median(r[2] for r in runs)
    return {"voice": name, "ms": statistics.median(ms), "p90": sorted(ms)[int(0.9 * (len(ms) - 1))],
            "audio_s": audio_s, "rtf": synth_s / audio_s if audio_s else float("nan")}


class NullVoice:
    """A voice that costs nothing: isolates the pipeline's own overhead."""

    sample_rate = 24000
    pcm = np.full(24000, 0.1, dtype=np.float32)

    def synthesize(self, text, voice, speed):
        yield AudioPiece(self.pcm, self.sample_rate)


def pipeline_overhead(reps: int) -> dict[str, float]:
    """Median ms per reply of: segmenting the token stream up to the first clause, enqueue, first callback."""
    seg_ms, queue_ms, fill_ms = [], [], []
    voice = NullVoice()
    for _ in range(reps):
        t0 = time.perf_counter()
        seg = ClauseSegmenter()
        clause = None
        for tok in TOKENS:
            out = seg.feed(tok)
            if out:
                clause = out[0]
                break
        t1 = time.perf_counter()
        piece = next(voice.synthesize(clause.text, None, 1.0))
        player = Player(piece.sample_rate)
        backend = ArrayBackend()
        backend.start(player)
        t2 = time.perf_counter()
        player.enqueue(piece.pcm, piece.sample_rate, ClauseTag(1, clause.index))
        t3 = time.perf_counter()
        backend.pull()
        t4 = time.perf_counter()
        seg_ms.append((t1 - t0) * 1000)
        queue_ms.append((t3 - t2) * 1000)
        fill_ms.append((t4 - t3) * 1000)
    whole = ClauseSegmenter()
    t0 = time.perf_counter()
    n = sum(len(whole.feed(tok)) for tok in TOKENS) + len(whole.flush())
    per_reply = (time.perf_counter() - t0) * 1000
    from app.speech.segmenter import cut_clauses

    t0 = time.perf_counter()
    pending, cut = "", 0
    for tok in TOKENS:
        clauses, pending = cut_clauses(pending + tok, first=cut == 0, final=False)
        cut += len(clauses)
    cut += len(cut_clauses(pending, first=cut == 0, final=True)[0])
    pure = (time.perf_counter() - t0) * 1000
    return {f"cut_clauses (the loop's pure cutter) whole reply, {cut} clauses": pure,
            "segment first clause": statistics.median(seg_ms), "enqueue": statistics.median(queue_ms),
            "player callback (1 block)": statistics.median(fill_ms),
            f"segment whole reply ({len(TOKENS)} deltas, {n} clauses)": per_reply}


def engine_hop(tts, text: str, reps: int) -> float:
    """Median ms the engine thread adds: submit(Synthesize) -> first AudioChunk, minus the synthesis itself."""
    from app.engine.thread import Engine
    from app.engine.messages import AudioChunk, LoadModel, ModelLoaded, Synthesize
    from models.base import Role

    events: queue.Queue = queue.Queue()
    engine = Engine(events.put, loader=lambda roles, model_id: tts).start()
    engine.submit(LoadModel(Role.TTS, "bench"))
    while not isinstance(events.get(), ModelLoaded):
        pass
    hops = []
    for i in range(reps):
        t_syn = time.perf_counter()
        next(tts.synthesize(text, None, 1.0))
        direct = time.perf_counter() - t_syn
        t0 = time.perf_counter()
        engine.submit(Synthesize(1, i, text))
        while not isinstance(events.get(), AudioChunk):
            pass
        hops.append((time.perf_counter() - t0 - direct) * 1000)
        while events.qsize():
            events.get()
    engine.stop()
    return statistics.median(hops)


def load_voices(args: argparse.Namespace) -> list[tuple[str, Callable[[], object]]]:
    from models.tts_espeak import EspeakCommand, EspeakTTS, LibEspeak

    voices: list[tuple[str, Callable[[], object]]] = [("espeak (libespeak-ng, in process)",
                                                       lambda: EspeakTTS(LibEspeak.shared()))]
    exe = shutil.which("espeak-ng")
    if exe:
        voices.insert(0, ("espeak-ng command (baseline)", lambda: EspeakTTS(EspeakCommand(exe))))
    if not args.no_kokoro:
        voices.append(("kokoro tiny random (58M, CPU)", lambda: load_tiny_kokoro(args.tiny_dir)))
    return voices


def load_tiny_kokoro(tiny_dir: Path | None):
    import json

    from models.tts_kokoro import KokoroTTS
    from tiny import build

    path = build("kokoro", tiny_dir or Path(tempfile.mkdtemp(prefix="hearth-tiny-")))
    return KokoroTTS.load(ModelFolder(path, json.loads((path / "config.json").read_text())), "tiny-kokoro")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--kokoro-reps", type=int, default=3)
    ap.add_argument("--tiny-dir", type=Path)
    ap.add_argument("--no-kokoro", action="store_true")
    args = ap.parse_args(argv)
    clauses = reply_clauses()
    texts = {"first": clauses[0], "sentence": clauses[1]}
    print("clauses: " + " | ".join(clauses) + "\n")
    rows = []
    for name, make in load_voices(args):
        tts = make()
        kokoro = "kokoro" in name
        for label, text in texts.items():
            if kokoro and label != "first":
                continue
            rows.append({**bench_voice(name, tts, text, args.kokoro_reps if kokoro else args.reps), "clause": label})
    base = {r["clause"]: r["ms"] for r in reversed(rows)}  # the first row per clause is the baseline
    print("| voice | clause | first audio, median ms | p90 ms | vs baseline | clause audio s | RTF |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['voice']} | {r['clause']} | {r['ms']:.1f} | {r['p90']:.1f} | {r['ms'] / base[r['clause']]:.2f}x "
              f"| {r['audio_s']:.2f} | {r['rtf']:.3f} |")
    print("\n| pipeline stage (no-cost voice) | ms |\n|---|---:|")
    overhead = pipeline_overhead(args.reps)
    for stage, ms in overhead.items():
        print(f"| {stage} | {ms:.3f} |")
    from models.tts_espeak import EspeakTTS, LibEspeak

    hop = engine_hop(EspeakTTS(LibEspeak.shared()), texts["first"], args.reps)
    total = sum(v for k, v in overhead.items() if "whole reply" not in k) + hop
    print(f"| engine thread hop (Synthesize -> AudioChunk, minus synthesis) | {hop:.3f} |")
    print(f"| **pipeline overhead to first audio (sum)** | **{total:.3f}** |")
    print("\nmlx-audio's own AudioPlayer (reference): starts only after 1.5 s x arrival rate of audio is buffered, "
          "2048-sample blocks (85 ms at 24 kHz); this player starts on the next 10 ms block.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
