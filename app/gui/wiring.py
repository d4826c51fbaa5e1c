"""Which panel renders which event: the bridge's dispatch table (GUI thread only; handlers only render)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.engine import messages as ev
from app.gui.talk_panel import ChatStatus
from app.loop import events as se

if TYPE_CHECKING:
    from app.gui.bridge import Bridge
    from app.gui.main_window import MainWindow


def wire_events(w: "MainWindow", bridge: "Bridge") -> None:
    """The dispatch table: event type → what the panels show."""
    conv = w.conversation
    table = {
        se.StateChanged: lambda e: w.talk.state.set_state(e.state),
        se.MicLevel: w.talk.meter.set_level,
        ev.TranscriptEvent: lambda e: (conv.user_partial(e.turn_id, e.text) if e.partial
                                       else conv.transcript_final(e.turn_id, e.text)),
        se.UserSaid: conv.user_said,
        se.InputIgnored: conv.input_ignored,
        ev.TextDelta: lambda e: conv.reply_delta(e.turn_id, e.text),
        ev.GenerationDone: lambda e: (conv.reply_done(e.turn_id, e.text, f"{e.stats.tokens_per_second:.0f} tok/s"),
                                      w.memory.show_generation(e.stats)),
        se.ReplyRecorded: lambda e: (conv.reply_recorded(e), w.send_intent(se.ListConversations())),
        se.ReplyHeard: lambda e: (conv.reply_cut(e.turn_id, e.heard_text), w.agent.turn_stopped(e.turn_id)),
        ev.Cancelled: lambda e: (conv.reply_stopped(e.turn_id), w.agent.turn_stopped(e.turn_id)),
        se.TurnTimeline: w.chart.add,
        se.Notice: lambda e: conv.add_note(e.message),
        se.MemoryStats: w.memory.show_stats,
        ev.ModelLoaded: w.picker.model_loaded,
        ev.ModelLoadFailed: w.picker.load_failed,
        se.ToolStarted: w.agent.tool_started,
        se.ApprovalRequested: w.agent.approval_requested,
        se.ApprovalGiven: w.agent.approval_given,
        se.ToolFinished: w.agent.tool_finished,
        se.ModeChanged: w.mode_changed,
        se.ModeRefused: lambda e: on_error(w, ev.ErrorEvent(e.message)),
        se.NarrationChanged: w.narration_changed,
        ev.ErrorEvent: lambda e: on_error(w, e),
        se.ConversationOpened: lambda e: on_opened(w, e),
        se.ConversationList: w.conversations.show_list,
        ev.CacheRestored: w.conversations.cache_restored,
    }
    for event_type, handler in table.items():
        bridge.on(event_type, handler)


def on_opened(w: "MainWindow", e: se.ConversationOpened) -> None:
    """Another conversation (or the last one, at start): show its saved messages, refresh the list."""
    w.agent.reset()
    w.conversation.show_conversation(e.messages)
    w.conversations.opened(e)
    w.send_intent(se.ListConversations())


def explain(w: "MainWindow", e: ev.ErrorEvent) -> str:
    """A turn's error in the app's words when the window knows better than the engine why it failed."""
    chat = w.talk.state.chat
    if chat is ChatStatus.MISSING:
        return ("No chat model is loaded yet, so this message could not be answered. Pick an installed brain "
                "under Models (or one marked “download…”), then send it again.")
    return e.message


def on_error(w: "MainWindow", e: ev.ErrorEvent) -> None:
    """A turn's error is shown in the conversation where its answer would be (the typed text comes back into
    the box); other errors are a banner with the fix (and, for a model that did not load, its status)."""
    if e.turn_id:
        w.agent.turn_stopped(e.turn_id)
        text = w.conversation.turn_failed(e.turn_id, explain(w, e))
        if text is not None:
            w.compose.restore(text)
            return
    w.picker.load_error(e.message) or w.mode.mode_failed(e.message)
    w.banner.show_message(e.message)
    w.announcer.say(f"Problem: {e.message}", True)
