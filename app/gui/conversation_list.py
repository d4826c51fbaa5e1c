"""The saved conversations: new, open (resume), rename, delete (after asking). Renders ``ConversationList`` and
emits the conversation intents of app/loop/events.py; the current conversation is marked."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.conversations.store import ConversationInfo
from app.engine.messages import CacheRestored
from app.gui.talk_panel import announce
from app.loop.events import (
    ConversationList,
    ConversationOpened,
    DeleteConversation,
    ListConversations,
    NewConversation,
    OpenConversation,
    RenameConversation,
)

ID_ROLE = Qt.ItemDataRole.UserRole
CURRENT_MARK = "▶ "


def ask_to_delete(parent: QWidget, label: str) -> bool:
    answer = QMessageBox.question(parent, "Delete conversation",
                                  f"Delete “{label}”? Its messages and saved memory are removed from this computer.",
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def when(info: ConversationInfo) -> str:
    return info.updated_at[:16].replace("T", " ")


class ConversationPanel(QWidget):
    intent = Signal(object)

    def __init__(self, parent: QWidget | None = None,
                 confirm: Callable[[QWidget, str], bool] = ask_to_delete) -> None:
        super().__init__(parent)
        self.confirm = confirm
        self.current = ""
        self.items: tuple[ConversationInfo, ...] = ()
        self._renaming = False
        self.list = QListWidget()
        self.list.setAccessibleName("Saved conversations")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)  # F2 renames
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)  # long titles: the tooltip has them whole
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.fit()
        self.list.itemActivated.connect(lambda _item: self.open_selected())  # Enter / double click
        self.list.itemChanged.connect(self._renamed)
        self.status = QLabel(objectName="hint", wordWrap=True)
        self.status.setAccessibleName("Conversation status")
        buttons = QGridLayout()
        buttons.setSpacing(6)
        self.new_button = self._button("New", "Start a new conversation", self.new, buttons, 0, 0)
        self.open_button = self._button("Open", "Open the selected conversation", self.open_selected, buttons, 0, 1)
        self.rename_button = self._button("Rename…", "Rename the selected conversation", self.rename_selected,
                                          buttons, 1, 0)
        self.delete_button = self._button("Delete…", "Delete the selected conversation", self.delete_selected,
                                          buttons, 1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.status.hide()
        self._enable()

    def fit(self) -> None:
        """About five rows tall in the current font (it scrolls beyond): the sidebar keeps room for the rest."""
        row = self.list.fontMetrics().height() + 4
        self.list.setMinimumHeight(3 * row + 8)
        self.list.setMaximumHeight(5 * row + 8)

    def _button(self, text: str, name: str, slot: Callable[[], None], grid: QGridLayout, r: int, c: int) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(name)
        button.clicked.connect(slot)
        grid.addWidget(button, r, c)
        return button

    # --------------------------------------------------------------------------------------------- rendering
    def show_list(self, e: ConversationList) -> None:
        selected = self.selected_id() or e.current
        self.items, self.current = e.items, e.current or self.current
        self._renaming = True  # filling the list is not a rename
        self.list.clear()
        for info in e.items:
            item = QListWidgetItem(info.label)
            item.setData(ID_ROLE, info.conversation_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self._mark(item, info)
            self.list.addItem(item)
            if info.conversation_id == selected:
                self.list.setCurrentItem(item)
        self._renaming = False
        self._enable()
        current = self._info(self.current)
        if current is not None and self.status.text().startswith("Open: "):
            self.status.setText(f"Open: {current.label}")  # renamed

    def _mark(self, item: QListWidgetItem, info: ConversationInfo) -> None:
        current = info.conversation_id == self.current
        item.setText((CURRENT_MARK if current else "") + info.label)
        font = QFont(item.font())
        font.setBold(current)
        item.setFont(font)
        item.setToolTip(f"{info.label}\nLast used {when(info)}" + (" (open now)" if current else ""))
        item.setData(Qt.ItemDataRole.AccessibleTextRole,
                     f"{info.label}, last used {when(info)}" + (", open now" if current else ""))

    def opened(self, e: ConversationOpened) -> None:
        self.current = e.info.conversation_id
        for i in range(self.list.count()):
            item = self.list.item(i)
            info = self._info(item.data(ID_ROLE))
            if info is not None:
                self._renaming = True
                self._mark(item, info)
                self._renaming = False
        self._say(f"Open: {e.info.label}" if e.info.conversation_id else "This conversation is not saved.")

    def cache_restored(self, e: CacheRestored) -> None:
        if e.ok:
            self._say(f"Resumed with its saved memory ({e.tokens:,} tokens in {e.seconds:.1f} s).")

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.show()
        announce(self.status, text)

    # --------------------------------------------------------------------------------------------- actions
    def selected_id(self) -> str:
        item = self.list.currentItem()
        return str(item.data(ID_ROLE)) if item is not None else ""

    def _info(self, conversation_id: str) -> ConversationInfo | None:
        return next((i for i in self.items if i.conversation_id == conversation_id), None)

    def new(self) -> None:
        self.intent.emit(NewConversation())
        self.intent.emit(ListConversations())

    def open_selected(self) -> None:
        cid = self.selected_id()
        if cid and cid != self.current:
            self.intent.emit(OpenConversation(cid))
            self.intent.emit(ListConversations())

    def rename_selected(self) -> None:
        item = self.list.currentItem()
        info = self._info(self.selected_id())
        if item is None or info is None:
            return
        self._renaming = True
        item.setText(info.title or info.label)  # edit the title itself, without the mark
        self._renaming = False
        self.list.editItem(item)

    def _renamed(self, item: QListWidgetItem) -> None:
        if self._renaming:
            return
        info = self._info(str(item.data(ID_ROLE)))
        title = item.text().removeprefix(CURRENT_MARK).strip()
        if info is None:
            return
        if title and title != info.label:
            self.intent.emit(RenameConversation(info.conversation_id, title))  # the session sends the new list
        else:
            self._renaming = True
            self._mark(item, info)
            self._renaming = False

    def delete_selected(self) -> None:
        info = self._info(self.selected_id())
        if info is not None and self.confirm(self, info.label):
            self.intent.emit(DeleteConversation(info.conversation_id))  # the session sends the new list

    def _enable(self) -> None:
        has = self.list.count() > 0
        for button in (self.open_button, self.rename_button, self.delete_button):
            button.setEnabled(has)
