"""Voice-loop latency per stage over scripted spoken turns on tiny models, and the loop's own overhead per hop.

    uv run python scripts/bench_loop.py [--turns 20] [--max-tokens 60]

Each turn: espeak speech -> (engine) tiny Whisper -> tiny qwen2 reply streamed -> clause cutter -> espeak voice ->
an instrumented speaker. Stage times come from the events' own timestamps. A *hop* is one handover the loop adds:
engine event -> session thread -> front-end sink, and engine AudioChunk -> speaker. Goal: hop <= 10 ms; the first
audio of a multi-clause reply starts before generation ends.
"""

from __future__ import annotations

import argparse
import queue
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT)]

from app.speech.segmenter import cut_clauses  # noqa: E402
from app.loop.machine import HeardSpeech, LoopConfig, PlaybackFinished  # noqa: E402
from app.engine.messages import AudioChunk, ErrorEvent, GenerationDone, TranscriptEvent, LoadModel, ModelLoaded, TextDelta, now  # noqa: E402
from app.engine.runtime import make_engine  # noqa: E402
from app.loop.session import Session  # noqa: E402
from app.loop.events import Stage, TurnTimeline  # noqa: E402
from app.config.settings import Settings  # noqa: E402
from audio.resample import resample  # noqa: E402
from audio.wav import read_wav  # noqa: E402
from models.base import Role, SamplingParams  # noqa: E402
from tiny import build  # noqa: E402

QUESTIONS = ["What is the weather like today?", "Tell me a joke.", "How do I boil an egg?", "What time is it?",
             "Describe a sunset.", "Why is the sky blue?", "Read me a poem.", "What should I cook tonight?"]


class TimedSpeaker:
    """A speaker that plays instantly and records how long each chunk took to arrive from the engine."""

    available = True

    def __init__(self) -> None:
        self.hops: list[float] = []
        self.clauses: dict[int, set[int]] = {}
        self.post = None

    def start(self, post) -> None:
        self.post = post

    def play(self, chunk: AudioChunk) -> None:
        self.hops.append(now() - chunk.t)
        self.clauses.setdefault(chunk.turn_id, set()).add(chunk.clause_id)

    def finish(self, turn_id: int) -> None:
        self.post(PlaybackFinished(turn_id))

    def flush(self, turn_id: int):
        from app.loop.machine import PlaybackFlushed

        return PlaybackFlushed(turn_id)

    def stop(self) -> None:
        pass


def speech(text: str, tmp: Path) -> np.ndarray:
    path = tmp / "q.wav"
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
    pcm, rate = read_wav(path)
    return resample(pcm, rate, 16000)


def run(turns: int, max_tokens: int, models: Path) -> tuple[list[TurnTimeline], list[float], list[float], list[bool]]:
    events: queue.Queue = queue.Queue()
    sink_hops: list[float] = []

    def sink(event) -> None:
        if isinstance(event, (TextDelta, GenerationDone)):
            sink_hops.append(now() - event.t)
        events.put(event)

    speaker = TimedSpeaker()
    config = LoopConfig(sampling=SamplingParams(max_tokens=max_tokens), voice=None)
    session = Session(lambda post: make_engine(post, Settings()), sink, cut_clauses, config, audio_out=speaker)
    session.start((LoadModel(Role.LLM, str(build("llm", models))), LoadModel(Role.STT, str(build("whisper", models))),
                   LoadModel(Role.TTS, "espeak")))
    for _ in range(3):
        while not isinstance(events.get(), ModelLoaded):
            pass
    timelines, early = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(turns):
            pcm = speech(QUESTIONS[i % len(QUESTIONS)], Path(tmp))
            session.post(HeardSpeech(pcm, 16000, now()))
            done_t = None
            while True:
                ev = events.get(timeout=120)
                if isinstance(ev, GenerationDone):
                    done_t = ev.t
                if isinstance(ev, ErrorEvent) or isinstance(ev, TranscriptEvent) and not ev.partial \
                        and not ev.text.strip():
                    break  # no turn (empty transcript from the random model, or an error)
                if isinstance(ev, TurnTimeline):
                    timelines.append(ev)
                    audio = ev.at(Stage.FIRST_AUDIO)
                    multi = len(speaker.clauses.get(ev.turn_id, ())) > 1
                    if done_t is not None and audio is not None and multi:
                        early.append(audio < done_t)
                    break
    session.stop()
    return timelines, sink_hops, speaker.hops, early


def stage_table(timelines: list[TurnTimeline]) -> None:
    order = [Stage.FINAL_TRANSCRIPT, Stage.FIRST_TOKEN, Stage.FIRST_CLAUSE, Stage.FIRST_AUDIO, Stage.REPLY_DONE]
    print(f"{'stage (from end of speech)':28s} {'median ms':>10s} {'p95 ms':>8s} {'n':>4s}")
    for stage in order:
        vals = [1000 * (tl.at(stage) - tl.at(Stage.END_OF_SPEECH)) for tl in timelines
                if tl.at(stage) is not None and tl.at(Stage.END_OF_SPEECH) is not None]
        if vals:
            p95 = float(np.percentile(vals, 95))
            print(f"{stage.value:28s} {statistics.median(vals):10.1f} {p95:8.1f} {len(vals):4d}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--turns", type=int, default=20)
    ap.add_argument("--max-tokens", type=int, default=60)
    ap.add_argument("--models-dir", type=Path, default=None)
    args = ap.parse_args()
    models = args.models_dir or Path(tempfile.mkdtemp(prefix="hearth-bench-"))
    t0 = time.perf_counter()
    timelines, sink_hops, audio_hops, early = run(args.turns, args.max_tokens, models)
    stage_table(timelines)
    print(f"\n{'hop (loop overhead)':28s} {'median ms':>10s} {'p95 ms':>8s} {'max ms':>8s} {'n':>6s}")
    for name, hops in (("engine -> session -> sink", sink_hops), ("engine -> session -> speaker", audio_hops)):
        ms = [1000 * h for h in hops]
        print(f"{name:28s} {statistics.median(ms):10.2f} {np.percentile(ms, 95):8.2f} {max(ms):8.2f} {len(ms):6d}")
    print(f"\nfirst audio before generation ended: {sum(early)}/{len(early)} multi-clause replies")
    print(f"({len(timelines)} turns in {time.perf_counter() - t0:.0f} s; tiny random models, espeak voice, CPU)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
