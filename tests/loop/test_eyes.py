from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.eyes import FrameError, MAX_SIDE, downscale, open_source, sources


def test_every_backend_is_registered():
    assert {"camera", "screen", "file", "synthetic"} <= set(sources())


def test_downscale_keeps_aspect_and_limits_the_long_side():
    big = np.zeros((1080, 1920, 3), np.uint8)
    small = downscale(big)
    assert small.shape == (432, MAX_SIDE, 3)
    tiny = np.zeros((10, 20, 3), np.uint8)
    assert downscale(tiny).shape == (10, 20, 3)


def test_file_source_reads_and_downscales(tmp_path):
    path = tmp_path / "big.png"
    Image.fromarray(np.full((1600, 1200, 3), 200, np.uint8)).save(path)
    frame = open_source("file", path=path).latest()
    assert frame.rgb.shape == (MAX_SIDE, 576, 3) and frame.rgb.dtype == np.uint8


def test_bad_inputs_are_clear_errors(tmp_path):
    with pytest.raises(FrameError, match="No such image"):
        open_source("file", path=tmp_path / "missing.png")
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(FrameError, match="Cannot read the image"):
        open_source("file", path=tmp_path / "bad.png")
    with pytest.raises(FrameError, match="choose one of"):
        open_source("telescope")


def test_missing_camera_is_a_clear_error():
    with pytest.raises(FrameError, match="No camera found"):
        open_source("camera", index=7)


def test_synthetic_frames_change():
    eyes = open_source("synthetic")
    a, b = eyes.latest().rgb, eyes.latest().rgb
    assert a.shape == (240, 320, 3) and not np.array_equal(a, b)
