"""A cheap perceptual scene-change detector: pure, numpy only, well under 2 ms for a 768-pixel frame.

Each frame becomes a :class:`Signature`: a 32 x 24 grid of mean colours (every second pixel each way is read,
so a 768 x 576 frame averages 144 samples per cell — sensor noise cancels out). Two signatures differ by
:func:`distance`: the mean absolute per-cell difference once the *uniform* part of the change (the same shift on
every cell: auto-exposure, white balance, a light dimming) is taken out, plus a quarter of that uniform part — a
lamp switched off still counts, a camera re-exposing does not.

The view has changed when the newest frame differs from the *reference* (the last scene reported) by more than
``threshold`` and has then held still — every frame within ``settle`` of the first frame of the steady run — for
``stable_s`` seconds over at least ``min_frames`` frames (about a second at 2 frames a second). A hand waving
through the view, or a camera being carried, is not reported until it settles. Then :func:`observe` returns one
:class:`SceneChanged` and the reported frame becomes the reference, so one change is reported once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from models.base import ImageInput

GRID_W, GRID_H = 32, 24
UNIFORM_WEIGHT = 0.25  # how much a change shared by every cell counts (exposure drift vs a light going off)


@dataclass(frozen=True)
class ChangeConfig:
    threshold: float = 0.06  # distance (0..1) from the reference that counts as a new scene: an object filling
    #                          about a tenth of the view at full contrast, or a quarter of it at modest contrast
    settle: float = 0.03  # frames within this distance of the steady run's first frame are "the same view"
    stable_s: float = 0.9  # the new view must hold this long (3 frames at 2 fps span 1.0 s; 0.9 allows jitter)
    min_frames: int = 3  # ... over at least this many frames


@dataclass(frozen=True)
class Signature:
    """A frame's 24 x 32 x 3 grid of mean colours in 0..1 (float32)."""

    cells: np.ndarray = field(compare=False, repr=False)


@dataclass(frozen=True)
class SceneChanged:
    """The view changed and settled: ``frame`` is the settled frame, ``score`` its distance from the previous
    reported scene (1.0 for the first scene after the narrator was switched on, when ``first`` is true)."""

    frame: ImageInput
    t: float
    score: float
    first: bool = False


@dataclass(frozen=True)
class ChangeState:
    """The detector's whole state, replaced on every frame."""

    config: ChangeConfig = ChangeConfig()
    reference: Signature | None = None  # the last scene reported (None: nothing reported since switching on)
    anchor: Signature | None = None  # the first frame of the current steady run
    run_start: float = 0.0
    run_frames: int = 0


def _edges(n: int, cells: int) -> tuple[np.ndarray, np.ndarray]:
    starts = (np.arange(cells) * n) // cells
    counts = np.diff(np.append(starts, n))
    return starts, np.maximum(counts, 1)


def signature(rgb: np.ndarray) -> Signature:
    """The signature of an RGB uint8 frame (H, W, 3) of any size (at least 1 x 1)."""
    step = 2 if rgb.shape[0] >= 2 * GRID_H and rgb.shape[1] >= 2 * GRID_W else 1
    sub = rgb[::step, ::step, :3]
    h, w = sub.shape[:2]
    rows, row_n = _edges(h, GRID_H)
    cols, col_n = _edges(w, GRID_W)
    sums = np.add.reduceat(np.add.reduceat(sub, rows, axis=0, dtype=np.uint32), cols, axis=1)
    scale = (1.0 / 255.0) / (row_n[:, None, None] * col_n[None, :, None]).astype(np.float32)
    return Signature(sums.astype(np.float32) * scale)


def distance(a: Signature, b: Signature) -> float:
    """How different two views look, 0 (same) .. about 1 (black vs white)."""
    d = a.cells - b.cells
    uniform = d.mean(axis=(0, 1))
    local = float(np.abs(d - uniform).mean())
    return local + UNIFORM_WEIGHT * float(np.abs(uniform).mean())


def _pixels(frame: ImageInput) -> np.ndarray:
    if frame.rgb is None:
        raise ValueError("the change detector needs frames as pixels (ImageInput.rgb)")
    return frame.rgb


def observe(state: ChangeState, frame: ImageInput, t: float) -> tuple[ChangeState, SceneChanged | None]:
    """Take one frame seen at monotonic time ``t``; a :class:`SceneChanged` when the view changed and settled."""
    sig = signature(_pixels(frame))
    cfg = state.config
    if state.anchor is None or distance(sig, state.anchor) > cfg.settle:
        state = replace(state, anchor=sig, run_start=t, run_frames=1)
    else:
        state = replace(state, run_frames=state.run_frames + 1)
    if state.run_frames < cfg.min_frames or t - state.run_start < cfg.stable_s:
        return state, None
    if state.reference is None:
        return replace(state, reference=sig), SceneChanged(frame, t, 1.0, first=True)
    score = distance(sig, state.reference)
    if score <= cfg.threshold:
        return state, None
    return replace(state, reference=sig), SceneChanged(frame, t, score)


def rebase(state: ChangeState, frame: ImageInput) -> ChangeState:
    """The user has just been told about ``frame`` some other way (a describe-on-demand turn): changes are
    measured from it from now on."""
    return replace(state, reference=signature(_pixels(frame)))
