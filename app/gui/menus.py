"""The window's menus and keyboard shortcuts (every action of the window is reachable by keyboard)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Callable

from PySide6.QtGui import QAction, QKeySequence

from app.gui.tool_views import APPROVE_KEYS, REJECT_KEYS
from app.loop import events as se

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


def action(w: "MainWindow", menu, text: str, standard, slot: Callable | None, fallback: str) -> QAction:
    act = QAction(text, w)
    keys = QKeySequence.keyBindings(standard) if standard is not None else []
    act.setShortcuts(keys or [QKeySequence(fallback)])
    if slot is not None:
        act.triggered.connect(slot)
    menu.addAction(act)
    return act


def build_menus(w: "MainWindow") -> None:
    file_menu = w.menuBar().addMenu("&Hearth")
    action(w, file_menu, "&Settings…", QKeySequence.StandardKey.Preferences, w.open_settings, "Ctrl+,")
    file_menu.addSeparator()
    action(w, file_menu, "&Quit", QKeySequence.StandardKey.Quit, w.close, "Ctrl+Q")
    talk = w.menuBar().addMenu("&Conversation")
    action(w, talk, "&New conversation", QKeySequence.StandardKey.New, w.conversations.new, "Ctrl+N")
    action(w, talk, "Saved &conversations", None, w.conversations.list.setFocus, "Ctrl+Shift+O")
    action(w, talk, "&Stop reply", None, lambda: w.send_intent(se.StopReply()), "Esc")
    talk.addSeparator()
    w.approve_action = action(w, talk, "&Approve the proposed change", None, lambda: w.agent.answer(True),
                              APPROVE_KEYS)
    w.reject_action = action(w, talk, "&Reject the proposed change", None, lambda: w.agent.answer(False),
                             REJECT_KEYS)
    for act in (w.approve_action, w.reject_action):
        act.setEnabled(False)
    w.agent.waiting_changed.connect(lambda on: [a.setEnabled(on) for a in (w.approve_action, w.reject_action)])
    talk.addSeparator()
    action(w, talk, "Choose &mode", None, w.mode.combo.setFocus, "Ctrl+Shift+M")
    w.narrate_action = action(w, talk, "&Narrate changes", None, None, "Ctrl+Shift+N")
    w.narrate_action.setCheckable(True)
    w.narrate_action.setEnabled(False)
    w.narrate_action.setChecked(w.talk.narrate.isChecked())
    w.narrate_action.triggered.connect(lambda _checked: w.talk.narrate.toggle())  # the toggle is the state
    w.talk.narrate.toggled.connect(w.narrate_action.setChecked)
    view = w.menuBar().addMenu("&View")
    w.large_action = action(w, view, "&Large text", None, None, "Ctrl++")
    w.contrast_action = action(w, view, "&High contrast", None, None, "Ctrl+Shift+H")
    for act, key in ((w.large_action, "large_text"), (w.contrast_action, "high_contrast")):
        act.setCheckable(True)
        act.setChecked(getattr(w.settings.ui, key))
        act.toggled.connect(lambda on, key=key: w.apply_settings(
            replace(w.settings, ui=replace(w.settings.ui, **{key: on}))))
    action(w, view, "Say the &last announcement again", None, w.repeat_announcement, "Ctrl+Shift+L")
