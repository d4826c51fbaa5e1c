"""How the narrator meets today's loop and player, without changing them: a narration sent as a turn is an ordinary
turn (frame attached, cut by the user's voice like any reply), and a known hazard the lead must fix when cues share
the player's queue."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.messages import AudioChunk, Generate, TextDelta
from app.loop.machine import CancelTurn, Flush, Loop, Submit, UserInput, step
from app.loop.vocabulary import PlaybackFinished
from app.narrator.earcons import EarconKind, earcon
from app.narrator.prompts import narration_text
from app.narrator.scheduler import Reason
from app.ports.live import PlayerOut
from audio.playback import ArrayBackend, Player
from tests.narrator.helpers import text_image


def cut(pending, first, final):
    return ((pending,), "") if final and pending else ((), pending)


def test_a_narration_turn_carries_its_frame_and_the_users_voice_cuts_it():
    frame = text_image(("EXIT",))
    loop, cmds = step(Loop(), UserInput(narration_text(Reason.CHANGED), images=(frame,)), cut)
    (gen,) = [c.request for c in cmds if isinstance(c, Submit) and isinstance(c.request, Generate)]
    assert gen.request.messages[-1].images == (frame,)
    assert "not the whole scene" in gen.request.messages[-1].text
    turn = loop.turn.turn_id
    loop, _ = step(loop, TextDelta(turn, "A door opened", 0), cut)
    loop, cmds = step(loop, UserInput("stop, what is that noise"), cut)
    assert CancelTurn(turn) in cmds and Flush(turn) in cmds  # barge-in: the narration stops at once


def test_a_cue_queued_behind_a_reply_does_not_swallow_its_playback_finished():
    player = Player(24000, 240)
    backend = ArrayBackend()
    out = PlayerOut(player, backend)
    posted: list = []
    out.start(posted.append)
    out.play(AudioChunk(5, 0, np.full(2400, 0.1, np.float32), 24000, last=True))
    out.finish(5)  # the reply's audio is all queued
    out.play(earcon(EarconKind.NARRATION_OFF).as_chunk())  # e.g. narration switched off while the reply plays
    backend.pull(40)
    assert PlaybackFinished(5) in posted
