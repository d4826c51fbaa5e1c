"""A saved conversation's messages as the conversation view shows them, by message type: a ChatMessage as its
bubble; an AssistantToolCalls as the assistant's words and a short "used tool(args)" line per call; a ToolReply as
the tool's output, monospace and folded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.gui.bubble import Who
from app.gui.tool_views import OutputBlock, call_text
from models.base import ChatMessage, Speaker
from models.tool_format import AssistantToolCalls, ToolReply

if TYPE_CHECKING:
    from app.gui.conversation_view import ConversationView

WHO_OF = {Speaker.USER: Who.USER, Speaker.ASSISTANT: Who.ASSISTANT}


def _chat(view: "ConversationView", m: ChatMessage) -> None:
    who = WHO_OF.get(m.speaker)
    if who is not None:  # system messages are not shown
        view.add_saved(who, m.message_id, m.text, m.images)


def _calls(view: "ConversationView", m: AssistantToolCalls) -> None:
    if m.text.strip():
        view.add_saved(Who.ASSISTANT, m.message_id, m.text)
    for call in m.calls:
        line = QLabel(f"used {call_text(call.name, call.arguments)}", objectName="hint", wordWrap=True)
        line.setAccessibleName(f"Hearth used the tool {call.name}")
        line.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # reachable by Tab, like the bubbles
        view.add_block(line)


def _reply(view: "ConversationView", m: ToolReply) -> None:
    view.add_block(OutputBlock(f"{m.name or 'tool'} output", m.content, collapsed=True))


SHOWS: dict[type, Callable[["ConversationView", Any], None]] = {
    ChatMessage: _chat,
    AssistantToolCalls: _calls,
    ToolReply: _reply,
}


def show_saved(view: "ConversationView", messages: tuple[object, ...]) -> None:
    """Show each message the view knows how to (a type it does not know is left out, never an error)."""
    for m in messages:
        show = SHOWS.get(type(m))
        if show is not None:
            show(view, m)
