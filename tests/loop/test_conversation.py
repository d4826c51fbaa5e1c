"""Every transition of the pure voice-loop state machine (no threads, no models)."""

from __future__ import annotations

import re

import numpy as np

from app.loop.machine import (
    CancelTurn,
    EndOfAudio,
    Flush,
    HeardSpeech,
    Interrupt,
    Loop,
    LoopConfig,
    Play,
    PlaybackFinished,
    PlaybackFlushed,
    Publish,
    Submit,
    UserInput,
    step,
    wants_frame,
)
from app.engine.messages import AudioChunk, ErrorEvent, Generate, GenerationDone, GenerationStats, Synthesize, TextDelta
from app.engine.messages import Transcribe, TranscriptEvent
from app.loop.events import LoopState, Notice, ReplyHeard, Stage, StateChanged, TurnTimeline, UserSaid
from models.base import ImageInput, Speaker

STATS = GenerationStats(1, 1, 0.1, 10.0, 10.0, 0.1)


def cut(pending, first, final):
    """Sentence cutter for tests: every '. ' ends a clause; at the end everything left is one."""
    parts = re.split(r"(?<=[.!?])\s+", pending)
    if final:
        return tuple(p for p in parts if p.strip()), ""
    return tuple(parts[:-1]), parts[-1]


def run(loop, *events):
    cmds = []
    for ev in events:
        loop, out = step(loop, ev, cut)
        cmds += out
    return loop, cmds


def of(cmds, kind):
    return [c for c in cmds if isinstance(c, kind)]


def published(cmds, kind):
    return [c.event for c in of(cmds, Publish) if isinstance(c.event, kind)]


def submitted(cmds, kind):
    return [c.request for c in of(cmds, Submit) if isinstance(c.request, kind)]


def chunk(turn, clause, last=False, n=800):
    return AudioChunk(turn, clause, np.ones(n, np.float32) * 0.1, 16000, last=last)


def speak_reply(loop, turn_id, sentences=("Hello there.", "How are you?")):
    text = " ".join(sentences) + " "
    events = [TextDelta(turn_id, text, 0), GenerationDone(turn_id, text.strip(), STATS, "stop")]
    for i in range(len(sentences)):
        events += [chunk(turn_id, i), chunk(turn_id, i, last=True, n=0)]
    return run(loop, *events)


def test_typed_turn_runs_to_the_end_and_keeps_the_reply():
    loop, cmds = run(Loop(), UserInput("hi"))
    turn_id = loop.turn.turn_id
    assert published(cmds, UserSaid)[0].text == "hi"
    gen = submitted(cmds, Generate)[0]
    assert gen.request.messages[-1].text == "hi" and gen.request.messages[0].speaker is Speaker.SYSTEM
    assert published(cmds, StateChanged)[-1].state is LoopState.THINKING
    loop, cmds = speak_reply(loop, turn_id)
    assert [s.text for s in submitted(cmds, Synthesize)] == ["Hello there.", "How are you?"]
    plays = of(cmds, Play)
    assert [(p.chunk.clause_id, p.chunk.last) for p in plays] == [(0, False), (0, True), (1, False), (1, True)]
    assert published(cmds, StateChanged)[-1].state is LoopState.SPEAKING
    assert loop.turn is not None  # still playing
    assert of(cmds, EndOfAudio) == [EndOfAudio(turn_id)]  # the player is told no more audio comes
    loop, cmds = run(loop, PlaybackFinished(turn_id))
    assert loop.turn is None and loop.phase is LoopState.LISTENING
    assert loop.history.messages[-1].text == "Hello there. How are you?"
    timeline = published(cmds, TurnTimeline)[0]
    stages = [m.stage for m in timeline.marks]
    assert stages == [Stage.FIRST_TOKEN, Stage.FIRST_CLAUSE, Stage.FIRST_AUDIO, Stage.REPLY_DONE]


def test_first_clause_is_synthesised_while_the_model_keeps_writing():
    loop, _ = run(Loop(), UserInput("hi"))
    loop, cmds = run(loop, TextDelta(loop.turn.turn_id, "Sure. And", 0))
    assert [s.text for s in submitted(cmds, Synthesize)] == ["Sure."]
    assert loop.turn.pending == "And" and not loop.turn.generation_done


def test_spoken_turn_marks_end_of_speech_and_transcript():
    loop, cmds = run(Loop(), HeardSpeech(np.zeros(1600, np.float32), 16000, t_end=5.0))
    stt = submitted(cmds, Transcribe)[0]
    assert published(cmds, StateChanged)[-1].state is LoopState.TRANSCRIBING
    loop, cmds = run(loop, TranscriptEvent(stt.turn_id, "tell me", partial=True, audio_seconds=0.1))
    assert published(cmds, TranscriptEvent)[0].partial
    loop, cmds = run(loop, UserInput("tell me a joke", spoken_turn=stt.turn_id))
    marks = loop.turn.marks
    assert [m.stage for m in marks] == [Stage.END_OF_SPEECH, Stage.FINAL_TRANSCRIPT] and marks[0].t == 5.0


def test_empty_transcript_goes_back_to_listening():
    loop, cmds = run(Loop(), HeardSpeech(np.zeros(160, np.float32)))
    turn = submitted(cmds, Transcribe)[0].turn_id
    loop, cmds = run(loop, TranscriptEvent(turn, "  ", partial=False, audio_seconds=0.01))
    assert loop.phase is LoopState.LISTENING and loop.stt_turn is None and not submitted(cmds, Generate)


def test_barge_in_cancels_flushes_and_keeps_only_what_was_heard():
    loop, _ = run(Loop(), UserInput("hi"))
    first = loop.turn.turn_id
    text = "Hello there. How are you?"
    loop, _ = run(loop, TextDelta(first, text + " ", 0), GenerationDone(first, text, STATS, "stop"),
                  chunk(first, 0), chunk(first, 0, last=True, n=0), chunk(first, 1))
    loop, cmds = run(loop, HeardSpeech(np.zeros(160, np.float32), t_end=9.0))
    stt = submitted(cmds, Transcribe)[0].turn_id
    assert loop.phase is LoopState.SPEAKING  # still talking while we transcribe
    loop, cmds = run(loop, UserInput("actually tell me about cats", spoken_turn=stt))
    assert of(cmds, CancelTurn) == [CancelTurn(first)] and of(cmds, Flush) == [Flush(first)]
    # the player heard all of clause 0 (0.5 s) and 0.2 s of clause 1's 1.0 s
    loop, cmds = run(loop, PlaybackFlushed(first, {0: 0.5, 1: 0.2}, {0: 0.5, 1: 1.0}))
    assert published(cmds, ReplyHeard)[0].heard_text == "Hello there."
    assert [m.text for m in loop.history.messages] == ["hi", "Hello there.", "actually tell me about cats"]
    assert Stage.BARGE_IN in [m.stage for m in published(cmds, TurnTimeline)[0].marks]
    assert submitted(cmds, Generate)[0].turn_id == loop.turn.turn_id != first
    assert loop.phase is LoopState.THINKING


def test_backchannel_does_not_interrupt():
    loop, _ = run(Loop(), UserInput("hi"))
    loop, cmds = run(loop, HeardSpeech(np.zeros(160, np.float32)))
    stt = submitted(cmds, Transcribe)[0].turn_id
    turn_before = loop.turn
    loop, cmds = run(loop, UserInput("Mm-hm.", spoken_turn=stt))
    assert not of(cmds, CancelTurn) and loop.turn == turn_before and published(cmds, Notice)


def test_backchannel_interrupts_when_configured():
    loop, _ = run(Loop(config=LoopConfig(interrupt_on_backchannel=True)), UserInput("hi"))
    loop, cmds = run(loop, HeardSpeech(np.zeros(160, np.float32)))
    loop, cmds = run(loop, UserInput("ok", spoken_turn=submitted(cmds, Transcribe)[0].turn_id))
    assert of(cmds, CancelTurn)


def test_stop_button_without_follow_up_returns_to_listening():
    loop, _ = run(Loop(), UserInput("hi"))
    turn = loop.turn.turn_id
    loop, cmds = run(loop, Interrupt())
    assert of(cmds, Flush) == [Flush(turn)]
    loop, cmds = run(loop, PlaybackFlushed(turn))
    assert loop.turn is None and loop.phase is LoopState.LISTENING
    assert [m.text for m in loop.history.messages] == ["hi"]  # nothing was heard


def test_frame_attached_only_when_the_words_point_at_it():
    frame = ImageInput(rgb=np.zeros((4, 4, 3), np.uint8))
    loop, cmds = run(Loop(), UserInput("what is this?", frame=frame))
    assert submitted(cmds, Generate)[0].request.messages[-1].images == (frame,)
    loop, cmds = run(Loop(), UserInput("hello there", frame=frame))
    assert submitted(cmds, Generate)[0].request.messages[-1].images == ()
    loop, cmds = run(Loop(config=LoopConfig(always_look=True)), UserInput("hello there", frame=frame))
    assert submitted(cmds, Generate)[0].request.messages[-1].images == (frame,)
    assert wants_frame("Can you read this for me") and wants_frame("what's on my screen") and not wants_frame("hi")


def test_error_mid_turn_is_shown_and_the_loop_keeps_listening():
    loop, _ = run(Loop(), UserInput("hi"))
    turn = loop.turn.turn_id
    loop, cmds = run(loop, TextDelta(turn, "Partial answer", 0), ErrorEvent("Generation failed: boom", turn))
    assert published(cmds, ErrorEvent)[0].message.startswith("Generation failed")
    assert loop.turn is None and loop.phase is LoopState.LISTENING
    assert loop.history.messages[-1].text == "Partial answer"  # nothing the user saw is lost


def test_stt_error_returns_to_listening():
    loop, cmds = run(Loop(), HeardSpeech(np.zeros(160, np.float32)))
    stt = submitted(cmds, Transcribe)[0].turn_id
    loop, cmds = run(loop, ErrorEvent("Speech recognition failed", stt))
    assert loop.phase is LoopState.LISTENING and loop.stt_turn is None


def test_text_only_mode_finishes_on_generation_done():
    loop, _ = run(Loop(config=LoopConfig(speak=False)), UserInput("hi"))
    turn = loop.turn.turn_id
    loop, cmds = run(loop, TextDelta(turn, "Fine. Thanks.", 0), GenerationDone(turn, "Fine. Thanks.", STATS, "stop"))
    assert not submitted(cmds, Synthesize) and loop.turn is None
    assert loop.history.messages[-1].text == "Fine. Thanks."


def test_stale_events_change_nothing():
    loop, _ = run(Loop(), UserInput("hi"))
    same, cmds = run(loop, TextDelta(999, "x", 0), UserInput("late", spoken_turn=12345), PlaybackFinished(999))
    assert same == loop and cmds == []


def test_long_history_drops_oldest_whole_messages_with_notice():
    loop = Loop(config=LoopConfig(max_history_tokens=60))
    for i in range(6):
        loop, cmds = run(loop, UserInput(f"question {i} " + "word " * 20))
        loop, _ = run(loop, Interrupt())
        loop, _ = run(loop, PlaybackFlushed(loop.turn.turn_id))
    assert published(cmds, Notice) and "set aside" in published(cmds, Notice)[0].message
    assert loop.history.messages[-1].text.startswith("question 5")
    assert all(m.text.startswith("question") for m in loop.history.messages)  # whole messages only


def test_push_to_talk_rests_idle():
    loop, cmds = run(Loop(config=LoopConfig(hands_free=False, speak=False)), UserInput("hi"))
    turn = loop.turn.turn_id
    loop, cmds = run(loop, GenerationDone(turn, "ok", STATS, "stop"))
    assert loop.phase is LoopState.IDLE


def test_partial_transcripts_one_at_a_time_then_final_with_the_same_turn():
    from app.loop.machine import PartialSpeech, SpeechBegan

    loop, _ = run(Loop(), SpeechBegan())
    stt = loop.stt_turn
    loop, cmds = run(loop, PartialSpeech(np.zeros(16000, np.float32)), PartialSpeech(np.zeros(32000, np.float32)))
    partials = submitted(cmds, Transcribe)
    assert len(partials) == 1 and partials[0].partial and partials[0].turn_id == stt  # no pile-up
    loop, cmds = run(loop, TranscriptEvent(stt, "what is", partial=True, audio_seconds=1.0),
                     PartialSpeech(np.zeros(32000, np.float32)))
    assert published(cmds, TranscriptEvent)[0].text == "what is" and len(submitted(cmds, Transcribe)) == 1
    loop, cmds = run(loop, HeardSpeech(np.zeros(40000, np.float32), t_end=2.0))
    final = submitted(cmds, Transcribe)[0]
    assert not final.partial and final.turn_id == stt


def test_cold_model_load_during_a_turn_is_reported_apart():
    from app.engine.messages import ModelLoaded
    from models.base import Role

    loop, _ = run(Loop(config=LoopConfig(speak=False)), UserInput("hi"))
    turn = loop.turn.turn_id
    loop, cmds = run(loop, ModelLoaded(Role.TTS, "kokoro", 2.5), GenerationDone(turn, "ok", STATS, "stop"))
    assert published(cmds, TurnTimeline)[0].cold_load_s == 2.5


def test_sustained_speech_over_a_reply_stops_it_before_the_transcript():
    from app.loop.machine import PartialSpeech, SpeechBegan

    loop, _ = run(Loop(), UserInput("hi"))
    first = loop.turn.turn_id
    loop, _ = run(loop, TextDelta(first, "Hello there. ", 0), chunk(first, 0))
    loop, cmds = run(loop, SpeechBegan(), PartialSpeech(np.zeros(8000, np.float32)))  # 0.5 s: maybe "ok"
    assert not of(cmds, Flush)
    loop, cmds = run(loop, TranscriptEvent(loop.stt_turn, "", partial=True, audio_seconds=0.5),
                     PartialSpeech(np.zeros(16000, np.float32)))  # 1 s of speech: the user is talking
    assert of(cmds, Flush) == [Flush(first)] and of(cmds, CancelTurn) == [CancelTurn(first)]
    stt = loop.stt_turn
    loop, cmds = run(loop, PlaybackFlushed(first, {0: 0.4}, {0: 1.0}))
    assert loop.turn is None and published(cmds, ReplyHeard)
    loop, cmds = run(loop, HeardSpeech(np.zeros(24000, np.float32), t_end=3.0),
                     UserInput("what about tomorrow", spoken_turn=stt))
    assert submitted(cmds, Generate)[0].request.messages[-1].text == "what about tomorrow"


def test_hearth_hearing_its_own_voice_is_not_a_user_turn():
    from app.loop.machine import is_own_echo

    loop, _ = run(Loop(), UserInput("hi"))
    first = loop.turn.turn_id
    loop, _ = run(loop, TextDelta(first, "The weather today is sunny and warm. ", 0), chunk(first, 0))
    loop, cmds = run(loop, HeardSpeech(np.zeros(160, np.float32)))
    stt = submitted(cmds, Transcribe)[0].turn_id
    loop, cmds = run(loop, UserInput("the weather today is sunny", spoken_turn=stt))
    assert not of(cmds, CancelTurn) and loop.turn.turn_id == first  # Hearth carries on
    loop, cmds = run(loop, HeardSpeech(np.zeros(160, np.float32)))
    stt = submitted(cmds, Transcribe)[0].turn_id
    loop, cmds = run(loop, UserInput("what about tomorrow in Paris", spoken_turn=stt))
    assert of(cmds, CancelTurn) == [CancelTurn(first)]  # a real question still interrupts
    assert is_own_echo("Sunny and warm!", ("The weather today is sunny and warm.",))
    assert not is_own_echo("warm", ("The weather today is sunny and warm.",))  # one word is not evidence
    assert not is_own_echo("is it warm in Paris tomorrow", ("The weather today is sunny and warm.",))


def test_every_input_that_gets_no_reply_ends_its_turn_observably():
    """An empty transcript, Hearth's own echo and a backchannel each publish InputIgnored (a file driver waits for it:
    `hearth voice --in` no longer hangs on them)."""
    from app.loop.events import InputIgnored
    from dataclasses import replace

    from app.speech.segmenter import cut_clauses

    loop, _ = step(Loop(), HeardSpeech(np.zeros(1600, np.float32)), cut_clauses)
    _, cmds = step(loop, TranscriptEvent(loop.stt_turn, "  ", False, 1.0), cut_clauses)
    assert any(isinstance(c, Publish) and isinstance(c.event, InputIgnored) for c in cmds)
    echo = replace(Loop(), recent_speech=("The weather is sunny and warm today.",), stt_turn=7)
    _, cmds = step(echo, UserInput("the weather is sunny and warm today", spoken_turn=7), cut_clauses)
    assert any(isinstance(c, Publish) and isinstance(c.event, InputIgnored) for c in cmds)
