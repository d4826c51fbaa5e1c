"""Look and feel: readable font sizes, large-text and high-contrast options, and the few styled surfaces
(conversation bubbles, banner, state pill). Colours come from the platform palette unless high contrast is on."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from app.config.settings import UiSettings

NORMAL_POINTS = 11
LARGE_POINTS = 15


@dataclass(frozen=True)
class Colors:
    window: QColor
    text: QColor
    muted: QColor
    user_bubble: QColor
    bot_bubble: QColor
    border: QColor
    accent: QColor
    error_bg: QColor
    error_text: QColor


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(round(a.red() * (1 - t) + b.red() * t), round(a.green() * (1 - t) + b.green() * t),
                  round(a.blue() * (1 - t) + b.blue() * t))


def colors_for(palette: QPalette, high_contrast: bool) -> Colors:
    if high_contrast:
        black, white, yellow = QColor("#000000"), QColor("#ffffff"), QColor("#ffd400")
        return Colors(black, white, QColor("#e0e0e0"), QColor("#002a5c"), QColor("#1a1a1a"), white, yellow,
                      QColor("#ffd400"), black)
    window, text = palette.color(QPalette.ColorRole.Window), palette.color(QPalette.ColorRole.WindowText)
    accent = palette.color(QPalette.ColorRole.Highlight)
    base = palette.color(QPalette.ColorRole.Base)
    dark = window.lightness() < 128
    return Colors(window, text, _mix(text, window, 0.45), _mix(base, accent, 0.22 if dark else 0.12),
                  _mix(base, text, 0.10 if dark else 0.04), _mix(window, text, 0.18), accent,
                  QColor("#5c1d1d") if dark else QColor("#fdecea"), QColor("#ffdad6") if dark else QColor("#7a1c14"))


def high_contrast_palette() -> QPalette:
    pal = QPalette()
    black, white, yellow = QColor("#000000"), QColor("#ffffff"), QColor("#ffd400")
    for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base, QPalette.ColorRole.Button,
                 QPalette.ColorRole.AlternateBase, QPalette.ColorRole.ToolTipBase):
        pal.setColor(role, black)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.ToolTipText, QPalette.ColorRole.BrightText, QPalette.ColorRole.PlaceholderText):
        pal.setColor(role, white)
    pal.setColor(QPalette.ColorRole.Highlight, yellow)
    pal.setColor(QPalette.ColorRole.HighlightedText, black)
    pal.setColor(QPalette.ColorRole.Link, yellow)
    grey = QColor("#a0a0a0")  # disabled controls must look disabled in high contrast too
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, grey)
    return pal


def stylesheet(c: Colors, high_contrast: bool) -> str:
    width = 2 if high_contrast else 1
    return f"""
    QFrame#bubble[speaker="user"] {{ background: {c.user_bubble.name()}; border-radius: 12px;
        border: {width}px solid {c.border.name() if high_contrast else c.user_bubble.name()}; }}
    QFrame#bubble[speaker="assistant"] {{ background: {c.bot_bubble.name()}; border-radius: 12px;
        border: {width}px solid {c.border.name()}; }}
    QFrame#bubble[speaker="problem"] {{ background: {c.error_bg.name()}; border-radius: 12px;
        border: {width}px solid {c.error_text.name() if high_contrast else c.error_bg.name()}; }}
    QFrame#bubble[speaker="problem"] QLabel {{ color: {c.error_text.name()}; }}
    QLabel#bubbleText[partial="true"] {{ color: {c.muted.name()}; font-style: italic; }}
    QLabel#bubbleMeta {{ color: {c.muted.name()}; }}
    QLabel#sectionTitle {{ font-weight: 600; }}
    QLabel#hint {{ color: {c.muted.name()}; }}
    QFrame#banner {{ background: {c.error_bg.name()}; border-radius: 8px; }}
    QFrame#banner QLabel {{ color: {c.error_text.name()}; }}
    QPushButton#pushToTalk {{ font-weight: 600; padding: 10px 22px; }}
    QFrame#toolStep {{ border: none; border-left: {width + 2}px solid {c.muted.name()}; }}
    QFrame#approval {{ border: {width + 1}px solid {c.accent.name()}; border-radius: 8px; }}
    QLabel#toolError {{ color: {c.accent.name() if high_contrast else c.error_text.name()}; }}
    QPushButton#pushToTalk:pressed, QPushButton#pushToTalk:checked {{ background: {c.accent.name()};
        color: {"#000000" if high_contrast else "#ffffff"}; }}
    """


HIGH_CONTRAST_EXTRA = """
    QLineEdit, QComboBox, QAbstractSpinBox { border: 2px solid #ffffff; border-radius: 4px; padding: 3px 6px; }
    QComboBox::drop-down { border: none; width: 22px; }
    QComboBox::down-arrow, QAbstractSpinBox::down-arrow { image: url(%(down)s); width: 12px; height: 8px; }
    QAbstractSpinBox::up-arrow { image: url(%(up)s); width: 12px; height: 8px; }
    QAbstractSpinBox::up-button, QAbstractSpinBox::down-button { border: none; width: 18px; }
    QLineEdit:focus, QComboBox:focus, QAbstractSpinBox:focus, QPushButton:focus { border: 3px solid #ffd400; }
    QPushButton { border: 2px solid #ffffff; border-radius: 4px; padding: 5px 12px; }
    QCheckBox::indicator { width: 16px; height: 16px; border: 2px solid #ffffff; background: #000000; }
    QCheckBox::indicator:checked { image: url(%(check)s); }
    QCheckBox::indicator:disabled { border: 2px solid #a0a0a0; }
    QPushButton:disabled { border: 2px dashed #a0a0a0; }
    QListWidget, QPlainTextEdit { border: 2px solid #ffffff; }
    QPlainTextEdit:focus, QToolButton:focus { border: 3px solid #ffd400; }
    QToolButton#outputToggle { border: 2px solid #ffffff; border-radius: 4px; padding: 2px 6px; }
    QFrame#banner QPushButton { color: #000000; border: 2px solid #000000; background: #ffd400; }
    QSlider::groove:horizontal { height: 4px; background: #ffffff; border-radius: 2px; }
    QSlider::handle:horizontal { background: #ffd400; border: 2px solid #ffffff; width: 16px; margin: -8px 0;
        border-radius: 10px; }
    QProgressBar { border: 1px solid #ffffff; } QProgressBar::chunk { background: #ffd400; }
"""


ARROW_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="12" height="8" viewBox="0 0 12 8">'
             '<path d="{path}" fill="#ffffff"/></svg>')
CHECK_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">'
             '<rect width="16" height="16" fill="#ffd400"/>'
             '<path d="M3 8.5 L6.5 12 L13 4.5" fill="none" stroke="#000000" stroke-width="2.6"/></svg>')


def arrow_files() -> dict[str, str]:
    """White arrow images for high-contrast combo and spin boxes and a check mark for check boxes (style sheets
    need files): a checked box shows a black tick on yellow, not a solid square."""
    folder = Path(tempfile.gettempdir()) / "hearth-theme"
    folder.mkdir(exist_ok=True)
    images = {"down": ARROW_SVG.format(path="M0 0 L12 0 L6 8 Z"), "up": ARROW_SVG.format(path="M0 8 L12 8 L6 0 Z"),
              "check": CHECK_SVG}
    out = {}
    for name, svg in images.items():
        file = folder / f"hearth-{name}.svg"
        if not file.exists() or file.read_text() != svg:
            file.write_text(svg)
        out[name] = file.as_posix()
    return out


def apply_theme(app: QApplication, ui: UiSettings) -> Colors:
    """Apply font size, palette and style sheet to the whole application; returns the colours used."""
    if not hasattr(app, "_hearth_default_palette"):
        app._hearth_default_palette = QPalette(app.palette())  # type: ignore[attr-defined]
    palette = high_contrast_palette() if ui.high_contrast else app._hearth_default_palette  # type: ignore
    app.setPalette(palette)
    font = QFont(app.font())
    font.setPointSize(LARGE_POINTS if ui.large_text else NORMAL_POINTS)
    app.setFont(font)
    c = colors_for(palette, ui.high_contrast)
    app.setStyleSheet(stylesheet(c, ui.high_contrast) + (HIGH_CONTRAST_EXTRA % arrow_files() if ui.high_contrast else ""))
    return c
