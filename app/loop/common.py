"""Steps the voice loop's handlers share (app/loop/machine.py and app/loop/agent.py): phase changes, queueing
clauses for the voice, finishing a turn, recording a reply. Pure, like the machine."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.conversations.transcript import Transcript
from app.engine.messages import Synthesize
from app.loop.events import LoopState, ReplyRecorded, Stage, StateChanged
from app.loop.turn import SpokenClause, Turn
from app.loop.vocabulary import EndOfAudio, Loop, Publish, Record, Submit
from models.base import ChatMessage, Speaker

Commands = list[Any]


def set_phase(loop: Loop, phase: LoopState, cmds: Commands) -> Loop:
    if loop.phase is not phase:
        turn_id = loop.turn.turn_id if loop.turn else (loop.stt_turn or 0)
        cmds.append(Publish(StateChanged(phase, turn_id)))
    return replace(loop, phase=phase)


def speak(loop: Loop, turn: Turn, clauses: tuple[str, ...], cmds: Commands, t: float) -> Loop:
    """Queue each clause for the voice; the loop gets the turn and remembers Hearth's latest words."""
    limit = loop.config.max_spoken_clauses
    for text in clauses:
        clause = SpokenClause(turn.next_clause_id, text)
        turn = replace(turn, clauses=turn.clauses + (clause,)).mark(Stage.FIRST_CLAUSE, t)
        if loop.config.speak and not (limit and clause.clause_id >= limit):
            cmds.append(Submit(Synthesize(turn.turn_id, clause.clause_id, text, loop.config.voice, loop.config.speed)))
    return replace(loop, turn=turn, recent_speech=(loop.recent_speech + clauses)[-4:])


def after_voicing(loop: Loop, cmds: Commands, t: float) -> tuple[Loop, Commands]:
    """Once every clause is voiced: finish now if nothing is playing, else wait for the player to drain."""
    turn = loop.turn
    assert turn is not None
    if not loop.config.speak or turn.all_voiced and not turn.audio_started:
        return finish(loop, cmds, t)
    if turn.all_voiced:
        cmds.append(EndOfAudio(turn.turn_id))
    return loop, cmds


def finish(loop: Loop, cmds: Commands, t: float) -> tuple[Loop, Commands]:
    turn = loop.turn
    assert turn is not None
    turn = turn.mark(Stage.REPLY_DONE, t)
    loop = replace(loop, turn=None, history=with_reply(loop, turn, turn.reply, cmds))
    loop = set_phase(loop, LoopState.TRANSCRIBING if loop.stt_turn else loop.resting, cmds)
    cmds.append(Publish(turn.timeline()))
    return loop, cmds


def with_reply(loop: Loop, turn: Turn, text: str, cmds: Commands) -> Transcript:
    """The history with this turn's reply (or the part of it that stands) recorded under the reply's id."""
    if not text:
        return loop.history
    message = ChatMessage(Speaker.ASSISTANT, text, message_id=turn.reply_id)
    cmds.extend([Record(message), Publish(ReplyRecorded(turn.turn_id, turn.reply_id, text))])
    return loop.history.with_message(message)
