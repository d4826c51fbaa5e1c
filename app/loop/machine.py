"""The voice loop as a pure state machine: ``step(loop, event) -> (loop, commands)``.

No threads, no Qt, no models: the session (app/loop/session.py) feeds it events and executes the commands it returns.
Phases: idle / listening -> transcribing -> thinking -> speaking -> listening, with barge-in from thinking or
speaking. Per-turn state is one :class:`~app.loop.turn.Turn`, replaced whole.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Callable

from app.engine.messages import AudioChunk, ErrorEvent, Generate, GenerationDone, ModelLoaded, TextDelta, Transcribe
from app.engine.messages import TranscriptEvent, now
from app.loop.vocabulary import (  # noqa: F401 - the loop's vocabulary, importable from here too
    CancelTurn,
    ClauseCutter,
    EndOfAudio,
    Flush,
    HeardSpeech,
    Interrupt,
    Loop,
    LoopConfig,
    PartialSpeech,
    Play,
    PlaybackFinished,
    PlaybackFlushed,
    Publish,
    Record,
    SpeechBegan,
    Submit,
    UserInput,
)
from app.conversations.store import new_message_id
from app.loop.events import InputIgnored, LoopState, Notice, ReplyHeard, Stage, UserSaid
from models.base import ChatMessage, Speaker
from app.loop import agent
from app.narrator.prompts import plan_turn, safety_caveat
from app.loop.common import Commands, after_voicing, finish, set_phase, speak, with_reply
from app.loop.turn import Turn, heard_text

BACKCHANNELS = frozenset({"ok", "okay", "mm", "mhm", "mm-hm", "mm hm", "uh-huh", "uh huh", "yeah", "yes", "right",
                          "sure", "i see", "got it", "hmm", "yep", "aha", "cool", "nice"})


_LOOK = re.compile(r"\b(what(?:'s| is) (?:this|that)|look(?:ing)? at|on (?:my|the) screen|can you see|"
                   r"in front of me|what am i (?:holding|looking at)|read (?:this|that)|describe (?:this|what))\b",
                   re.IGNORECASE)


def wants_frame(text: str) -> bool:
    return bool(_LOOK.search(text))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def is_own_echo(text: str, recent: tuple[str, ...]) -> bool:
    """True when a transcript is mostly Hearth's own recent words (its voice leaking back into the microphone)."""
    heard, spoken = _words(text), _words(" ".join(recent))
    if len(heard) < 2 or not spoken:
        return False
    from difflib import SequenceMatcher

    blocks = SequenceMatcher(None, heard, spoken, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks) >= 0.75 * len(heard)


def is_backchannel(text: str) -> bool:
    return re.sub(r"[^\w\s'-]", "", text).strip().lower() in BACKCHANNELS


def _with_stt_turn(loop: Loop) -> Loop:
    if loop.stt_turn is not None:
        return loop
    return replace(loop, stt_turn=loop.next_id, next_id=loop.next_id + 1, partial_pending=False)


def on_speech_began(loop: Loop, ev: SpeechBegan, cut: ClauseCutter) -> tuple[Loop, Commands]:
    return _with_stt_turn(loop), []


def on_partial(loop: Loop, ev: PartialSpeech, cut: ClauseCutter) -> tuple[Loop, Commands]:
    """Ask for a partial transcript; sustained speech over a reply stops the reply without waiting for the words
    (a backchannel is shorter than ``barge_in_after_s``)."""
    loop = _with_stt_turn(loop)
    cmds: Commands = []
    limit = loop.config.barge_in_after_s
    if loop.turn is not None and limit and len(ev.pcm) / ev.sample_rate >= limit:
        loop, cmds = on_interrupt(loop, Interrupt(), cut)
    if loop.partial_pending:
        return loop, cmds
    request = Transcribe(loop.stt_turn or 0, ev.pcm, ev.sample_rate, partial=True, language=loop.config.stt_language)
    return replace(loop, partial_pending=True), cmds + [Submit(request)]


def on_heard(loop: Loop, ev: HeardSpeech, cut: ClauseCutter) -> tuple[Loop, Commands]:
    loop = _with_stt_turn(loop)
    cmds: Commands = [Submit(Transcribe(loop.stt_turn or 0, ev.pcm, ev.sample_rate, language=loop.config.stt_language))]
    loop = replace(loop, stt_end=ev.t_end)
    if loop.turn is None:
        loop = set_phase(loop, LoopState.TRANSCRIBING, cmds)
    return loop, cmds


def on_loaded(loop: Loop, ev: ModelLoaded, cut: ClauseCutter) -> tuple[Loop, Commands]:
    """Cold loads during a turn are counted apart from its latency."""
    if loop.turn is not None:
        turn = replace(loop.turn, cold_load_s=loop.turn.cold_load_s + ev.load_seconds)
        loop = replace(loop, turn=turn)
    return loop, [Publish(ev)]


def on_transcript(loop: Loop, ev: TranscriptEvent, cut: ClauseCutter) -> tuple[Loop, Commands]:
    """Partial transcripts are shown; final ones become UserInput in the session (which adds the frame)."""
    if ev.turn_id != loop.stt_turn:
        return loop, []
    cmds: Commands = [Publish(ev)]
    if ev.partial:
        return replace(loop, partial_pending=False), cmds
    if not ev.text.strip():
        loop = replace(loop, stt_turn=None)
        cmds.append(Publish(InputIgnored(ev.turn_id, "nothing was heard")))
        if loop.turn is None:
            loop = set_phase(loop, loop.resting, cmds)
    return loop, cmds


def on_user_input(loop: Loop, ev: UserInput, cut: ClauseCutter) -> tuple[Loop, Commands]:
    if ev.spoken_turn is not None and ev.spoken_turn != loop.stt_turn:
        return loop, []  # a stale transcript
    spoken_end = loop.stt_end if ev.spoken_turn is not None else None
    loop = replace(loop, stt_turn=None)
    if ev.spoken_turn is not None and is_own_echo(ev.text, loop.recent_speech):
        cmds: Commands = [Publish(InputIgnored(ev.spoken_turn, "Hearth's own voice"))]
        return (loop if loop.turn else set_phase(loop, loop.resting, cmds)), cmds
    if ev.narration_id is not None and (loop.turn is not None or loop.stt_turn is not None):
        return loop, []  # a narration never interrupts anything (the session sees it was not taken)
    if loop.turn is not None and loop.turn.awaiting is not None:
        return agent.spoken_answer(loop, loop.turn, ev.text)  # "yes" / "go ahead" / "no" answers the proposal
    if loop.turn is not None:
        if ev.spoken_turn is not None and is_backchannel(ev.text) and not loop.config.interrupt_on_backchannel:
            return loop, [Publish(Notice(f"Heard “{ev.text}” — carrying on.")),
                          Publish(InputIgnored(ev.spoken_turn, "a backchannel"))]
        return on_interrupt(loop, Interrupt(then=ev), cut)
    return _start_turn(loop, ev, spoken_end)


def _start_turn(loop: Loop, ev: UserInput, spoken_end: float | None) -> tuple[Loop, Commands]:
    images, model_text = ev.images, ev.text
    look = loop.config.always_look or wants_frame(ev.text)
    if loop.config.narrator is not None and ev.narration_id is None:  # "read this", "what colour", follow-ups
        planned = plan_turn(ev.text, loop.config.narrator)
        model_text, look = planned.model_text, planned.new_frame
    if ev.frame is not None and look:
        images = images + (ev.frame,)
    turn = Turn(loop.next_id, new_message_id(), ev.text, images, narration_id=ev.narration_id)
    if spoken_end is not None:
        turn = turn.mark(Stage.END_OF_SPEECH, spoken_end).mark(Stage.FINAL_TRANSCRIPT, now())
    message = ChatMessage(Speaker.USER, model_text, images, ev.message_id or new_message_id())
    history, dropped = loop.history.with_message(message).trimmed(loop.config.max_history_tokens)
    said = UserSaid(turn.turn_id, ev.text, images, message.message_id, ev.spoken_turn)
    cmds: Commands = [Record(message)] if ev.narration_id is not None else [Publish(said), Record(message)]
    if dropped:
        cmds.append(Publish(Notice(f"The conversation is long: the oldest {dropped} messages were set aside "
                                   "(they stay in the saved conversation).")))
    request = history.request(loop.config.sampling, loop.config.tools)
    cmds.append(Submit(Generate(turn.turn_id, request, loop.conversation_id)))
    loop = replace(loop, turn=turn, history=history, next_id=loop.next_id + 1)
    return set_phase(loop, LoopState.THINKING, cmds), cmds


def on_delta(loop: Loop, ev: TextDelta, cut: ClauseCutter) -> tuple[Loop, Commands]:
    turn = loop.turn
    if turn is None or ev.turn_id != turn.turn_id:
        return loop, []
    cmds: Commands = [Publish(ev)]
    clauses, rest = cut(turn.pending + ev.text, first=not turn.clauses, final=False)
    turn = replace(turn.mark(Stage.FIRST_TOKEN, ev.t), reply=turn.reply + ev.text, pending=rest)
    return speak(loop, turn, clauses, cmds, ev.t), cmds


def on_done(loop: Loop, ev: GenerationDone, cut: ClauseCutter) -> tuple[Loop, Commands]:
    turn = loop.turn
    if turn is None or ev.turn_id != turn.turn_id:
        return loop, []
    cmds: Commands = [Publish(ev)]
    clauses, _ = cut(turn.pending, first=not turn.clauses, final=True)
    turn = replace(turn, pending="", generation_done=True, reply=ev.text or turn.reply)
    caveat = safety_caveat(turn.reply) if loop.config.narrator is not None and not ev.tool_calls else None
    if caveat:  # steps, traffic, obstacles: "I may be wrong" is said even when the model forgot it
        clauses, turn = clauses + (caveat,), replace(turn, reply=f"{turn.reply} {caveat}")
        cmds.append(Publish(TextDelta(turn.turn_id, " " + caveat, -1)))
    loop = speak(loop, turn, clauses, cmds, ev.t)
    if ev.tool_calls and loop.config.tools and loop.turn is not None:
        return agent.begin_tools(loop, loop.turn, ev, cmds)
    return after_voicing(loop, cmds, ev.t)


def on_audio(loop: Loop, ev: AudioChunk, cut: ClauseCutter) -> tuple[Loop, Commands]:
    turn = loop.turn
    if turn is None or ev.turn_id != turn.turn_id:
        return loop, []
    cmds: Commands = []
    if len(ev.pcm):
        turn = replace(turn.mark(Stage.FIRST_AUDIO, ev.t), audio_started=True)
    if len(ev.pcm) or ev.last and turn.audio_started:  # the empty final chunk tells the player the clause ended
        cmds.append(Play(ev))
    if ev.last:
        turn = replace(turn, clauses_voiced=turn.clauses_voiced + 1)
    loop = replace(loop, turn=turn)
    if turn.audio_started:
        loop = set_phase(loop, LoopState.SPEAKING, cmds)
    if ev.last:
        return after_voicing(loop, cmds, ev.t)
    return loop, cmds


def on_played(loop: Loop, ev: PlaybackFinished, cut: ClauseCutter) -> tuple[Loop, Commands]:
    if loop.turn is None or ev.turn_id != loop.turn.turn_id or not loop.turn.all_voiced:
        return loop, []
    return finish(loop, [], now())


def on_interrupt(loop: Loop, ev: Interrupt, cut: ClauseCutter) -> tuple[Loop, Commands]:
    if loop.turn is None:
        return (_start_turn(loop, ev.then, None) if ev.then else (loop, []))
    cmds: Commands = []
    loop = agent.cancel_tools(loop, cmds)  # a running tool stops too
    assert loop.turn is not None
    return replace(loop, after_flush=ev.then), cmds + [CancelTurn(loop.turn.turn_id), Flush(loop.turn.turn_id)]


def on_flushed(loop: Loop, ev: PlaybackFlushed, cut: ClauseCutter) -> tuple[Loop, Commands]:
    """After barge-in: keep only what was heard, then start the turn that interrupted (if any)."""
    turn = loop.turn
    if turn is None or ev.turn_id != turn.turn_id:
        return loop, []
    heard = heard_text(turn, ev.heard_seconds, ev.clause_seconds) if loop.config.speak else turn.reply
    turn = turn.mark(Stage.BARGE_IN, now())
    cmds: Commands = [Publish(ReplyHeard(turn.turn_id, heard)), Publish(turn.timeline())]
    history = with_reply(loop, turn, heard, cmds)
    follow_up = loop.after_flush
    loop = replace(loop, turn=None, history=history, after_flush=None)
    if follow_up is not None:
        loop, more = _start_turn(loop, follow_up, loop.stt_end if follow_up.spoken_turn is not None else None)
        return loop, cmds + more
    return set_phase(loop, loop.resting, cmds), cmds


def on_error(loop: Loop, ev: ErrorEvent, cut: ClauseCutter) -> tuple[Loop, Commands]:
    cmds: Commands = [Publish(ev)]
    if ev.turn_id and ev.turn_id == loop.stt_turn:
        loop = replace(loop, stt_turn=None)
    if loop.turn is not None and ev.turn_id == loop.turn.turn_id:
        reply = loop.turn.reply  # keep whatever was said before the failure
        loop = replace(loop, turn=None, history=with_reply(loop, loop.turn, reply, cmds))
    if loop.turn is None:
        loop = set_phase(loop, loop.resting, cmds)
    return loop, cmds


Handler = Callable[[Loop, Any, ClauseCutter], tuple[Loop, Commands]]
HANDLERS: dict[type, Handler] = {
    SpeechBegan: on_speech_began,
    PartialSpeech: on_partial,
    ModelLoaded: on_loaded,
    HeardSpeech: on_heard,
    TranscriptEvent: on_transcript,
    UserInput: on_user_input,
    TextDelta: on_delta,
    GenerationDone: on_done,
    AudioChunk: on_audio,
    PlaybackFinished: on_played,
    Interrupt: on_interrupt,
    PlaybackFlushed: on_flushed,
    ErrorEvent: on_error,
    **agent.TOOL_HANDLERS,
}


def step(loop: Loop, event: Any, cut: ClauseCutter) -> tuple[Loop, Commands]:
    """Advance the loop by one event; events it does not handle change nothing."""
    handler = HANDLERS.get(type(event))
    return handler(loop, event, cut) if handler else (loop, [])
