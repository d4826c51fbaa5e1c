"""Small windows, large text and high contrast: the talk button is never clipped, the bottom panel stays inside
the window, and a checked box in high contrast shows a tick (not a solid square)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionButton

from app.gui.theme import apply_theme
from app.config.settings import UiSettings


def inside(widget, window) -> bool:
    top_left = widget.mapTo(window, QPoint(0, 0))
    return window.rect().contains(QRect(top_left, widget.size()))


@pytest.mark.parametrize("ui", [UiSettings(), UiSettings(large_text=True, high_contrast=True)],
                         ids=["normal", "large-high-contrast"])
def test_small_window_keeps_the_talk_button_whole_and_the_bottom_panel_inside(harness, qtbot, ui):
    w = harness.window
    app = QApplication.instance()
    try:
        w.apply_settings(type(harness.window.settings)(ui=ui))
        w.resize(900, 640)
        qtbot.waitUntil(lambda: w.width() == 900 and w.height() == 640)
        QApplication.processEvents()
        talk = w.talk.talk
        assert talk.width() >= talk.sizeHint().width()  # "Hold to talk", not "old to tal"
        fm = talk.fontMetrics()
        assert talk.width() > fm.horizontalAdvance("Release to send")
        for widget in (talk, w.talk.hands_free, w.talk.state, w.compose.send_button, w.compose.stop_button):
            assert inside(widget, w), widget.accessibleName()
        assert w.talk.state.label.height() >= w.talk.state.label.fontMetrics().height()
    finally:
        w.apply_settings(type(w.settings)())
        apply_theme(app, UiSettings())


def test_a_checked_box_in_high_contrast_shows_a_tick(harness, qtbot):
    w = harness.window
    app = QApplication.instance()
    box = w.talk.hands_free
    try:
        apply_theme(app, UiSettings(high_contrast=True))
        box.setChecked(True)
        QApplication.processEvents()
        option = QStyleOptionButton()
        option.initFrom(box)
        rect = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
        image = box.grab().toImage()
        colours = {image.pixelColor(x, y).name() for x in range(rect.left() + 3, rect.right() - 2)
                   for y in range(rect.top() + 3, rect.bottom() - 2)}
        dark = [c for c in colours if int(c[1:3], 16) < 80 and int(c[3:5], 16) < 80]
        yellow = [c for c in colours if c.startswith("#ff") and int(c[5:7], 16) < 80]
        assert dark and yellow  # a black tick on yellow
    finally:
        apply_theme(app, UiSettings())
