"""The conversation: one bubble per message, replies streaming in, live partial transcripts in a muted style.

Bubbles are keyed by ids, never matched by text:
- a typed message by the ``message_id`` the GUI put in ``SendText`` (``UserSaid`` carries it back);
- a spoken one by its transcription's turn id while it grows (partial → final), then by ``UserSaid``'s message id
  (``UserSaid.stt_turn_id`` names the transcription it came from);
- a reply by its turn id while it streams, then by the ``message_id`` of ``ReplyRecorded``;
- saved messages (``ConversationOpened``) by their message ids; a saved tool step (``AssistantToolCalls``,
  ``ToolReply``) as the assistant's words, a short "used tool(args)" line and the tool's output, folded.

Tool steps of a live turn (app/gui/agent_feed.py) are blocks between bubbles: when a tool starts, the reply bubble
streaming so far is closed, so what the model says after the tool comes in a new bubble below it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from app.gui.bubble import Bubble, ShownMessage, Who
from app.gui.saved_history import show_saved
from app.loop.events import InputIgnored, ReplyRecorded, UserSaid
from models.base import ImageInput

WELCOME = ("Hold the talk button (or Space) and speak, or type a message below.\n"
           "Everything stays on this computer.")
WELCOME_TYPED = "Type a message below.\nEverything stays on this computer."


class ConversationView(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName("Conversation")
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalScrollBar().rangeChanged.connect(self._follow)
        self._at_bottom = True
        self.verticalScrollBar().valueChanged.connect(self._track)
        self.can_hear = True
        self._opened_once = False
        self.clear()

    def set_can_hear(self, can_hear: bool) -> None:
        """Without a microphone the empty-conversation hint only offers typing."""
        self.can_hear = can_hear
        self.welcome.setText(WELCOME if can_hear else WELCOME_TYPED)

    def clear(self) -> None:
        """An empty conversation (a new page: the old widgets go with the old page)."""
        inner = QWidget()
        self.column = QVBoxLayout(inner)
        self.column.setContentsMargins(16, 12, 16, 12)
        self.column.setSpacing(10)
        self.column.addStretch(1)
        self.welcome = QLabel(WELCOME if self.can_hear else WELCOME_TYPED, objectName="hint", wordWrap=True)
        self.welcome.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.column.addWidget(self.welcome)
        self.column.addStretch(1)
        self.setWidget(inner)
        self._order: list[Bubble] = []
        self._by_id: dict[str, Bubble] = {}  # message id → bubble (typed, spoken once confirmed, recorded replies)
        self._user_turn: dict[int, Bubble] = {}  # conversation turn → the user's bubble
        self._reply_turn: dict[int, Bubble] = {}  # conversation turn → the reply (streaming, then recorded)
        self._spoken: dict[int, Bubble] = {}  # transcription turn → the spoken bubble
        self._awaiting_spoken: Bubble | None = None  # a final transcript the session has not confirmed yet
        self._blocks: list[QWidget] = []  # tool steps and saved tool output, between the bubbles

    # ------------------------------------------------------------------------------------------ reading
    def messages(self) -> list[ShownMessage]:
        return [b.shown() for b in self._order]

    def notes(self) -> list[QLabel]:
        inner = self.widget()
        return [label for label in inner.findChildren(QLabel, "hint") if label is not self.welcome
                and label.parent() is inner]

    def by_message(self, message_id: str) -> Bubble | None:
        return self._by_id.get(message_id)

    def user_bubble(self, turn_id: int) -> Bubble | None:
        return self._user_turn.get(turn_id)

    def reply_bubble(self, turn_id: int) -> Bubble | None:
        return self._reply_turn.get(turn_id)

    def spoken_bubble(self, stt_turn: int) -> Bubble | None:
        return self._spoken.get(stt_turn)

    # ------------------------------------------------------------------------------------------ history
    def blocks(self) -> list[QWidget]:
        return list(self._blocks)

    def show_conversation(self, messages: tuple[object, ...]) -> None:
        """Replace what is shown by a saved conversation. Notes shown before the first one opened (start-up:
        no microphone, settings problems) stay; later ones belong to the conversation they were said in."""
        keep = [n.text() for n in self.notes()] if not self._opened_once else []
        self._opened_once = True
        self.clear()
        for text in keep:
            self.add_note(text)
        show_saved(self, messages)

    def add_saved(self, who: Who, message_id: str, text: str, images: tuple[ImageInput, ...] = ()) -> Bubble:
        """A message of a saved conversation."""
        bubble = self._new(who, None, message_id)
        bubble.add_images(images)
        bubble.set_text(text)
        return bubble

    def add_block(self, widget: QWidget) -> QWidget:
        """A tool step (or saved tool output) below the last message, as wide as a reply may be."""
        self.welcome.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(widget, 1)
        row.addStretch(0)
        widget.setMaximumWidth(self._bubble_width())
        self.column.addLayout(row)
        self._blocks.append(widget)
        return widget

    def close_reply(self, turn_id: int) -> None:
        """A tool starts: the reply streamed so far is finished (removed when it said nothing); what the model
        says next comes in a new bubble under the tool's step."""
        bubble = self._reply_turn.pop(turn_id, None)
        if bubble is None:
            return
        if not bubble.text.strip():
            self._remove(bubble)
        else:
            bubble.set_status("")

    # ------------------------------------------------------------------------------------------ user side
    def add_pending_user(self, message_id: str, text: str, images: tuple[ImageInput, ...] = ()) -> None:
        bubble = self._new(Who.USER, None, message_id)
        bubble.add_images(images)
        bubble.set_text(text)
        bubble.set_status("sending…")

    def user_partial(self, stt_turn: int, text: str) -> None:
        self._spoken_for(stt_turn).set_text(text, partial=True)

    def transcript_final(self, stt_turn: int, text: str) -> None:
        """The final transcript replaces the partial one and awaits the session's ``UserSaid``; an empty one (no
        words) removes the bubble."""
        bubble = self._spoken_for(stt_turn)
        if not text.strip():
            self._remove(bubble)
            return
        bubble.set_text(text)
        bubble.set_status("")
        self._awaiting_spoken = bubble

    def user_said(self, e: UserSaid) -> None:
        """A user turn entered the history: confirm its typed or spoken bubble, or show a new one."""
        bubble = self._by_id.get(e.message_id) if e.message_id else None
        if bubble is None and e.stt_turn_id is not None:
            bubble = self._spoken.get(e.stt_turn_id)
            if bubble is self._awaiting_spoken:
                self._awaiting_spoken = None
        if bubble is None and self._awaiting_spoken is not None:
            bubble, self._awaiting_spoken = self._awaiting_spoken, None
        if bubble is None:
            bubble = self._new(Who.USER, e.turn_id, e.message_id)
        if e.message_id:
            bubble.message_id = e.message_id
            self._by_id[e.message_id] = bubble
        bubble.turn_id = e.turn_id
        self._user_turn[e.turn_id] = bubble
        if e.images and not bubble.images.count():
            bubble.add_images(e.images)
        bubble.set_text(e.text)
        bubble.set_status("")

    def input_ignored(self, e: InputIgnored) -> None:
        """A spoken input that got no reply (nothing heard, Hearth's own voice, a backchannel): say so on it."""
        bubble = self._spoken.get(e.turn_id) or self._user_turn.get(e.turn_id)
        if bubble is None:
            return
        if bubble is self._awaiting_spoken:
            self._awaiting_spoken = None
        if not bubble.text.strip():
            self._remove(bubble)
            return
        bubble.set_text(bubble.text, partial=True)  # muted: it is not part of the conversation
        bubble.set_status(f"not answered: {e.reason}")

    def fail_unsent(self, message_id: str, reason: str) -> str:
        """A typed message nothing could take: say why under it; returns its text (it goes back in the box)."""
        bubble = self._by_id.get(message_id)
        if bubble is None:
            return ""
        bubble.set_status("not sent")
        self._problem(bubble, reason)
        return bubble.text

    def turn_failed(self, turn_id: int, message: str) -> str | None:
        """An error of this turn, shown where its answer would be. Returns the user's text when it got no answer
        at all (to put back in the box), "" when part of a reply stands, None when the turn is not shown."""
        user, reply = self._user_turn.get(turn_id), self._reply_turn.get(turn_id)
        spoken = self._spoken.get(turn_id)
        if user is None and reply is None and spoken is None:
            return None
        if reply is not None and reply.text:
            reply.set_status("cut short")
            self._problem(reply, message)
            return ""
        anchor = user or spoken
        assert anchor is not None
        anchor.set_status("not answered")
        self._problem(anchor, message)
        if anchor is self._awaiting_spoken:
            self._awaiting_spoken = None
        return anchor.text if user is not None and spoken is None else ""

    def _problem(self, after: Bubble, message: str) -> None:
        bubble = self._new(Who.PROBLEM, after.turn_id, "", after=after)
        bubble.set_text(message)

    # ------------------------------------------------------------------------------------------ reply side
    def reply_delta(self, turn_id: int, text: str) -> None:
        bubble = self._reply_for(turn_id)
        bubble.set_text(bubble.text + text)
        bubble.set_status("answering…")

    def reply_done(self, turn_id: int, text: str, status: str = "") -> None:
        bubble = self._reply_for(turn_id)
        bubble.set_text(text or bubble.text)
        bubble.set_status(status)

    def reply_recorded(self, e: ReplyRecorded) -> None:
        """The reply as the history keeps it (whole, or the heard part) under its message id."""
        bubble = self._reply_for(e.turn_id)
        if not e.text.strip() and not bubble.text.strip():  # nothing said after the last tool step
            self._remove(bubble)
            return
        bubble.message_id = e.message_id
        self._by_id[e.message_id] = bubble
        if e.text != bubble.text:
            bubble.set_text(e.text)

    def reply_cut(self, turn_id: int, heard: str) -> None:
        if turn_id not in self._reply_turn and not heard.strip():
            return  # cut during a tool step: nothing of a reply to show (the step says it stopped)
        bubble = self._reply_for(turn_id)
        bubble.set_text(heard)
        bubble.set_status("interrupted")

    def reply_stopped(self, turn_id: int) -> None:
        bubble = self._reply_turn.get(turn_id)
        if bubble is not None:
            bubble.set_status("stopped")

    def add_note(self, text: str) -> None:
        note = QLabel(text, objectName="hint", wordWrap=True)
        note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.column.addWidget(note)

    # ------------------------------------------------------------------------------------------ internals
    def _spoken_for(self, stt_turn: int) -> Bubble:
        bubble = self._spoken.get(stt_turn)
        if bubble is None:
            bubble = self._spoken[stt_turn] = self._new(Who.USER, stt_turn)
        return bubble

    def _reply_for(self, turn_id: int) -> Bubble:
        bubble = self._reply_turn.get(turn_id)
        if bubble is None:
            bubble = self._reply_turn[turn_id] = self._new(Who.ASSISTANT, turn_id)
            user = self._user_turn.get(turn_id)
            if user is not None and user.status == "sending…":
                user.set_status("")
        return bubble

    def _remove(self, bubble: Bubble) -> None:
        for table in (self._by_id, self._user_turn, self._reply_turn, self._spoken):
            for key in [k for k, v in table.items() if v is bubble]:
                del table[key]
        if self._awaiting_spoken is bubble:
            self._awaiting_spoken = None
        self._order.remove(bubble)
        self.column.removeItem(bubble.row)
        bubble.deleteLater()

    def _new(self, who: Who, turn_id: int | None, message_id: str = "", after: Bubble | None = None) -> Bubble:
        self.welcome.hide()
        bubble = Bubble(who, turn_id, message_id)
        if message_id:
            self._by_id[message_id] = bubble
        row = bubble.row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        if who is Who.USER:
            row.addStretch(1)
        row.addWidget(bubble)
        bubble.fit(self._bubble_width())
        if who is not Who.USER:
            row.addStretch(1)
        if after is None:
            self.column.addLayout(row)
            self._order.append(bubble)
        else:
            self.column.insertLayout(self._index_of(after) + 1, row)
            self._order.insert(self._order.index(after) + 1, bubble)
        return bubble

    def _index_of(self, bubble: Bubble) -> int:
        for i in range(self.column.count()):
            if self.column.itemAt(i).layout() is bubble.row:
                return i
        return self.column.count() - 1

    def _bubble_width(self) -> int:
        return max(240, int(self.viewport().width() * 0.78))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.refit()

    def refit(self) -> None:
        """Re-measure bubbles (after a resize or a font change)."""
        width = self._bubble_width()
        for bubble in self._order:
            bubble.fit(width)
        for block in self._blocks:
            block.setMaximumWidth(width)
            if hasattr(block, "refit"):
                block.refit()

    def _track(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._at_bottom = value >= bar.maximum() - 24

    def _follow(self, _lo: int, hi: int) -> None:
        if self._at_bottom:
            QTimer.singleShot(0, lambda: self.verticalScrollBar().setValue(self.verticalScrollBar().maximum()))
