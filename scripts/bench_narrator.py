"""Narrator benchmarks: change detection per frame, and scene change -> first narration audio on tiny models.

    uv run python scripts/bench_narrator.py [--frames 400] [--latency-changes 4] [--no-latency]

1. Change detection per 768 x 576 frame (goal <= 2 ms): the detector's signature alone, a whole ``observe`` step,
   against baselines measured in the same run on the same frames — a plain full-frame numpy abs-diff of two frames
   (int16, mean) and a PIL box resize to the same 32 x 24 grid.
2. Scene change -> first narration audio, stage by stage: a generated video (app/eyes/video_scenes.py) sampled by
   the real sampler thread at 2 fps in real time, the real scheduler, and the narration sent as a turn with the
   frame attached to a real session (tiny random Qwen-VL, espeak voice, an instant speaker). The stages are the
   same timeline marks as a voice turn's; "detected" includes the deliberate ~1 s wait for the view to settle.
"""

from __future__ import annotations

import argparse
import queue
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT)]

from app.eyes.video_scenes import VideoScenes  # noqa: E402
from app.narrator.change import ChangeState, distance, observe, signature  # noqa: E402
from models.base import ImageInput  # noqa: E402


def _times(fn, frames: list[np.ndarray], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        for i in range(len(frames)):
            t = time.perf_counter()
            fn(i)
            out.append(1000 * (time.perf_counter() - t))
    return out


def detection_table(n_frames: int) -> None:
    from PIL import Image

    clock = [0.0]
    video = VideoScenes((1.0, 2.0, 3.0), clock=lambda: clock[0])
    frames = []
    for i in range(64):
        clock[0] = i * 4.0 / 64
        frames.append(video.latest().rgb)
    assert frames[0].shape == (576, 768, 3)
    images = [ImageInput(rgb=f) for f in frames]
    repeats = max(1, n_frames // len(frames))
    state = [ChangeState()]

    def step(i: int) -> None:
        state[0], _ = observe(state[0], images[i], i * 0.5)

    sigs = [signature(f) for f in frames]
    rows = [
        ("baseline: full-frame abs-diff", lambda i: np.abs(frames[i].astype(np.int16)
                                                              - frames[i - 1].astype(np.int16)).mean()),
        ("baseline: PIL box resize 32x24", lambda i: np.asarray(Image.fromarray(frames[i]).resize(
            (32, 24), Image.Resampling.BOX), np.float32)),
        ("signature (32x24 colour grid)", lambda i: signature(frames[i])),
        ("distance (two signatures)", lambda i: distance(sigs[i], sigs[i - 1])),
        ("observe (a whole detector step)", step),
    ]
    results = [(name, _times(fn, frames, repeats)) for name, fn in rows]
    base = statistics.median(results[0][1])
    print(f"change detection per 768x576 frame ({len(frames) * repeats} frames, goal <= 2 ms)")
    print(f"{'':34s} {'median ms':>10s} {'p95 ms':>8s} {'x abs-diff':>11s}")
    for name, ms in results:
        med = statistics.median(ms)
        print(f"{name:34s} {med:10.3f} {np.percentile(ms, 95):8.3f} {med / base:11.2f}")


class NarrationRun:
    """The bench's stand-in for the session's narrator wiring: sampler posts -> scheduler -> narration turns."""

    def __init__(self, session, video: VideoScenes) -> None:
        from app.narrator.scheduler import NarratorState, NarratorSwitched, decide

        self.session, self.video, self.decide = session, video, decide
        self.state, _ = decide(NarratorState(), NarratorSwitched(True, time.monotonic()))
        self.detected: dict[int, float] = {}  # scene index -> when the detector reported it
        self.asked: dict[int, tuple[int, float]] = {}  # narration id -> (scene index, Narrate.t)
        self.rows: list[dict[str, float]] = []

    def changed_at(self, scene: int) -> float:
        return self.video._t0 + self.video.changes_at[scene - 1]

    def on_post(self, item) -> None:
        from app.loop.vocabulary import UserInput
        from app.narrator.change import SceneChanged
        from app.narrator.prompts import narration_text
        from app.narrator.scheduler import Narrate, Tick

        if not isinstance(item, (SceneChanged, Tick)):
            return
        if isinstance(item, SceneChanged):
            self.detected[self.video.scene_at(item.t - self.video._t0)] = item.t
        self.state, out = self.decide(self.state, item)
        for d in out:
            if isinstance(d, Narrate):
                self.session.post(UserInput(narration_text(d.reason), images=(d.frame,)))
                self.asked[d.narration_id] = (self.video.scene_at(d.t - self.video._t0), d.t)

    def on_timeline(self, tl) -> None:
        from app.loop.events import Stage
        from app.narrator.scheduler import NarrationFinished

        nid = min(self.asked)
        scene, asked_t = self.asked.pop(nid)
        self.state, _ = self.decide(self.state, NarrationFinished(nid, time.monotonic()))
        if scene == 0:
            return  # the first look after switching on: no change to measure from
        t0 = self.changed_at(scene)
        row = {"detected (view settled)": self.detected.get(scene, float("nan")) - t0, "narration asked": asked_t - t0}
        for stage in (Stage.FIRST_TOKEN, Stage.FIRST_CLAUSE, Stage.FIRST_AUDIO):
            at = tl.at(stage)
            row[stage.value] = (at - t0) if at is not None else float("nan")
        self.rows.append(row)


def latency_table(changes: int, models: Path) -> None:
    from app.config.settings import Settings
    from app.engine.messages import ErrorEvent, LoadModel, ModelLoaded
    from app.engine.runtime import make_engine
    from app.loop.events import TurnTimeline
    from app.loop.session import Session
    from app.loop.vocabulary import LoopConfig
    from app.narrator.prompts import NARRATOR_SYSTEM
    from app.narrator.sampler import Sampler
    from app.speech.segmenter import cut_clauses
    from bench_loop import TimedSpeaker
    from models.base import Role, SamplingParams
    from tiny import build

    events: queue.Queue = queue.Queue()
    config = LoopConfig(sampling=SamplingParams(max_tokens=24), voice=None)
    session = Session(lambda post: make_engine(post, Settings()), events.put, cut_clauses, config,
                      audio_out=TimedSpeaker(), system=NARRATOR_SYSTEM)
    session.start((LoadModel(Role.VLM, str(build("vlm", models))), LoadModel(Role.TTS, "espeak")))
    for _ in range(2):
        while not isinstance(ev := events.get(timeout=600), ModelLoaded):
            if isinstance(ev, ErrorEvent):
                raise SystemExit(ev.message)
    spacing = 6.0  # seconds between changes: more than the 4 s gap plus a narration
    video = VideoScenes(tuple(spacing * (k + 1) for k in range(changes)))
    posts: queue.Queue = queue.Queue()
    run = NarrationRun(session, video)
    sampler = Sampler(video, posts.put)
    sampler.start()
    try:
        while time.monotonic() < video._t0 + spacing * (changes + 1) or run.asked:
            try:
                run.on_post(posts.get(timeout=0.02))
            except queue.Empty:
                pass
            while not events.empty():
                ev = events.get_nowait()
                if isinstance(ev, TurnTimeline) and run.asked:
                    run.on_timeline(ev)
    finally:
        sampler.stop()
        session.stop()
    print(f"\nscene change -> first narration audio ({len(run.rows)} changes, tiny random Qwen-VL, espeak, CPU)")
    print(f"{'stage (from the scene change)':34s} {'median ms':>10s} {'p95 ms':>8s}")
    for stage in run.rows[0] if run.rows else ():
        vals = [1000 * r[stage] for r in run.rows if r[stage] == r[stage]]
        if vals:
            print(f"{stage:34s} {statistics.median(vals):10.1f} {np.percentile(vals, 95):8.1f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=640)
    ap.add_argument("--latency-changes", type=int, default=4)
    ap.add_argument("--no-latency", action="store_true")
    ap.add_argument("--models-dir", type=Path, default=None)
    args = ap.parse_args()
    detection_table(args.frames)
    if not args.no_latency:
        latency_table(args.latency_changes, args.models_dir or Path(tempfile.mkdtemp(prefix="hearth-bench-")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
