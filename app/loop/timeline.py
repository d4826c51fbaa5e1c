"""Latency timelines: written as JSON lines to the session log and printed by `hearth voice --timeline`."""

from __future__ import annotations

import json
from pathlib import Path

from app.loop.events import TurnTimeline


def origin(timeline: TurnTimeline) -> float:
    return timeline.marks[0].t if timeline.marks else 0.0


def as_record(timeline: TurnTimeline) -> dict[str, object]:
    t0 = origin(timeline)
    return {
        "turn": timeline.turn_id,
        "stages_ms": {m.stage.value: round((m.t - t0) * 1000, 1) for m in timeline.marks},
        "cold_load_s": round(timeline.cold_load_s, 3),
    }


def append_jsonl(path: Path, timeline: TurnTimeline) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(as_record(timeline)) + "\n")


def render(timeline: TurnTimeline, number: int | None = None) -> str:
    """One line per stage: time since the turn's first mark and since the previous stage."""
    t0 = origin(timeline)
    lines = [f"turn {number if number is not None else timeline.turn_id} timeline"]
    prev = t0
    for m in timeline.marks:
        lines.append(f"  {m.stage.value:17s} {1000 * (m.t - t0):8.0f} ms  (+{1000 * (m.t - prev):.0f})")
        prev = m.t
    if timeline.cold_load_s:
        lines.append(f"  (model loading, not counted above: {timeline.cold_load_s:.1f} s)")
    return "\n".join(lines)
