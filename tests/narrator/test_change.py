"""The scene-change detector: noise, shake and exposure drift are not changes; a new view is reported once, after
it has held still for about a second; a hand passing through is not reported."""

from __future__ import annotations

import numpy as np
import pytest

from app.eyes.video_scenes import render_scene
from app.narrator.change import ChangeConfig, ChangeState, SceneChanged, distance, observe, rebase, signature
from models.base import ImageInput

RNG = np.random.default_rng(1)


def noisy(rgb: np.ndarray, sigma: float = 6.0, shake: int = 2) -> ImageInput:
    dy, dx = RNG.integers(-shake, shake + 1, size=2) if shake else (0, 0)
    moved = np.roll(rgb, (int(dy), int(dx)), axis=(0, 1))
    return ImageInput(rgb=np.clip(moved + RNG.normal(0, sigma, rgb.shape), 0, 255).astype(np.uint8))


def run(frames: list[ImageInput], fps: float = 2.0, state: ChangeState = ChangeState()):
    reports: list[SceneChanged] = []
    for i, frame in enumerate(frames):
        state, change = observe(state, frame, i / fps)
        if change is not None:
            reports.append(change)
    return state, reports


SCENE_A, SCENE_B = render_scene(0, 768, 576), render_scene(1, 768, 576)


def test_signature_is_a_small_colour_grid_for_any_frame_size():
    for shape in ((576, 768, 3), (432, 768, 3), (768, 576, 3), (7, 5, 3), (1, 1, 3)):
        sig = signature(np.full(shape, 128, np.uint8))
        assert sig.cells.shape == (24, 32, 3) and sig.cells.dtype == np.float32
        np.testing.assert_allclose(sig.cells, 128 / 255, atol=1e-6)


def test_distance_ignores_noise_and_exposure_drift_but_not_a_new_view_or_the_lights_going_off():
    a = signature(SCENE_A)
    same = max(distance(a, signature(noisy(SCENE_A).rgb)) for _ in range(5))
    brighter = distance(a, signature(np.clip(SCENE_A * 1.08, 0, 255).astype(np.uint8)))
    dark = distance(a, signature((SCENE_A * 0.3).astype(np.uint8)))
    other = distance(a, signature(SCENE_B))
    cfg = ChangeConfig()
    assert same < cfg.settle and brighter < cfg.threshold
    assert dark > cfg.threshold and other > 3 * cfg.threshold
    solid_red, solid_blue = np.full((48, 64, 3), (200, 30, 30), np.uint8), np.full((48, 64, 3), (30, 30, 200), np.uint8)
    assert distance(signature(solid_red), signature(solid_blue)) > cfg.threshold  # same brightness, other colour


def test_first_settled_view_is_reported_once_after_about_a_second():
    _, reports = run([noisy(SCENE_A) for _ in range(10)])
    assert len(reports) == 1 and reports[0].first and reports[0].t == pytest.approx(1.0)


def test_a_change_is_reported_once_when_it_has_settled_not_per_frame():
    frames = [noisy(SCENE_A) for _ in range(6)] + [noisy(SCENE_B) for _ in range(10)]
    _, reports = run(frames)
    assert [r.first for r in reports] == [True, False]
    assert reports[1].t == pytest.approx(3.0 + 1.0)  # B from 3.0 s, stable through 4.0 s
    assert reports[1].score > ChangeConfig().threshold
    assert distance(signature(reports[1].frame.rgb), signature(SCENE_B)) < 0.02  # the settled frame is B


def test_a_hand_passing_through_and_a_moving_camera_are_not_reported():
    hand = SCENE_A.copy()
    hand[100:500, 200:450] = (220, 180, 150)
    frames = [noisy(SCENE_A) for _ in range(6)] + [noisy(hand)] + [noisy(SCENE_A) for _ in range(6)]
    _, reports = run(frames)
    assert len(reports) == 1  # only the first view
    panning = [ImageInput(rgb=np.roll(SCENE_B, 40 * i, axis=1)) for i in range(12)]
    state, _ = run([noisy(SCENE_B) for _ in range(4)])
    _, reports = run(panning, state=state)
    assert reports == []  # never steady while the camera pans


def test_the_reference_is_the_last_reported_scene_and_rebase_moves_it():
    state, reports = run([noisy(SCENE_A) for _ in range(4)])
    assert len(reports) == 1
    state = rebase(state, ImageInput(rgb=SCENE_B))  # the user asked about B in a turn of their own
    state, reports = run([noisy(SCENE_B) for _ in range(6)], state=state)
    assert reports == []


def test_frames_must_be_pixels():
    with pytest.raises(ValueError, match="pixels"):
        observe(ChangeState(), ImageInput(path=__import__("pathlib").Path("x.png")), 0.0)
