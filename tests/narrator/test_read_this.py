""""read this" on a generated picture with known text: the turn goes to the (tiny) vision model with the reading
instruction and the picture, through the real session and engine; a follow-up does not send the picture again."""

from __future__ import annotations

import threading

import numpy as np

from app.config.settings import Settings
from app.conversations.store import ConversationStore
from app.engine.messages import Generate, LoadModel, ModelLoaded
from app.engine.runtime import make_engine
from app.loop.events import SendText, TurnTimeline, UserSaid
from app.loop.book import ConversationChoice, Start
from app.loop.session import Session
from app.narrator.prompts import NARRATOR_SYSTEM, classify_request, needs_new_frame, request_text
from models.base import Role, Speaker
from tests.loop.test_session import Collector, cutter
from tests.narrator.helpers import text_image

LINES = ("EXIT 12", "Platform 3 ->", "Mind the gap")


class Paper:
    """A frame source holding up a printed page."""

    def __init__(self) -> None:
        self.frame = text_image(LINES)
        self.reads = 0

    def latest(self):
        self.reads += 1
        return self.frame


def test_text_image_has_dark_text_on_light_paper():
    rgb = text_image(LINES).rgb
    assert rgb.shape == (480, 640, 3) and rgb.dtype == np.uint8
    ink = (rgb.mean(axis=2) < 100)
    assert 0.01 < ink.mean() < 0.2 and ink[40:100].any() and not ink[300:].any()  # three lines, at the top


def test_read_this_goes_to_the_vision_model_with_the_reading_prompt(tiny_vlm, monkeypatch, tmp_path):
    from mlx_vlm.models.qwen3_5 import VisionModel

    monkeypatch.setenv("HEARTH_HOME", str(tmp_path))
    seen: list[tuple[int, ...]] = []
    original = VisionModel.__call__

    def spy(self, pixels, grid_thw, *args, **kwargs):
        seen.append(tuple(pixels.shape))
        assert threading.current_thread().name == "hearth-engine"
        return original(self, pixels, grid_thw, *args, **kwargs)

    monkeypatch.setattr(VisionModel, "__call__", spy)
    events, paper = Collector(), Paper()
    session = Session(lambda post: make_engine(post, Settings()), events, cutter, frames=paper,
                      system=NARRATOR_SYSTEM, conversations=ConversationStore(tmp_path / "conversations"),
                      choice=ConversationChoice(Start.NEW))  # a kept conversation: its live cache is reused
    generations: list[Generate] = []
    submit = session.engine.submit
    session.engine.submit = lambda r: (generations.append(r) if isinstance(r, Generate) else None, submit(r))[1]
    session.start((LoadModel(Role.VLM, str(tiny_vlm)),))
    try:
        events.until(lambda e: isinstance(e, ModelLoaded))
        assert needs_new_frame(classify_request("read this"))
        session.handle(SendText(request_text("read this")))
        said = events.until(lambda e: isinstance(e, UserSaid))
        events.until(lambda e: isinstance(e, TurnTimeline))
        assert len(said.images) == 1 and said.images[0] is paper.frame
        request = generations[-1].request
        assert request.messages[0].speaker is Speaker.SYSTEM and request.messages[0].text == NARRATOR_SYSTEM
        user = request.messages[-1]
        assert user.text.startswith("read this") and "word for word" in user.text and "reading order" in user.text
        assert user.images == (paper.frame,)
        assert seen and seen[0][0] > 0  # the page's patches went through the vision tower

        follow_up = "and the second line?"
        assert not needs_new_frame(classify_request(follow_up))
        vision_calls = len(seen)
        session.handle(SendText(request_text(follow_up)))  # no look words: the session attaches no frame
        said = events.until(lambda e: isinstance(e, UserSaid))
        events.until(lambda e: isinstance(e, TurnTimeline))
        request = generations[-1].request
        assert said.images == () and request.messages[-1].images == ()
        assert [m.images for m in request.messages if m.images] == [(paper.frame,)]  # the page is still in context
        assert len(seen) == vision_calls  # ... and was not encoded again: the prompt cache already holds it
    finally:
        session.stop()
