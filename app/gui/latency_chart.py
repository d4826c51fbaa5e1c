"""Per-turn latency timeline drawn as stage bars (QPainter): one row per recent turn, one coloured segment per stage
from end of speech to reply done, barge-ins as red ticks, cold model loads noted apart."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.loop.events import Stage, TurnTimeline

SEGMENT_NAME = {  # a segment is named after the stage it ends at
    Stage.FINAL_TRANSCRIPT: ("transcribe", "#d9a21b"),
    Stage.FIRST_TOKEN: ("think", "#3b73d9"),
    Stage.FIRST_CLAUSE: ("first clause", "#5aa9e6"),
    Stage.FIRST_AUDIO: ("voice", "#8b4fd6"),
    Stage.REPLY_DONE: ("rest of reply", "#2e9d57"),
}
ORDER = [s for s in Stage if s is not Stage.BARGE_IN]
MAX_ROWS = 6


@dataclass(frozen=True)
class Segment:
    end_stage: Stage
    start: float  # seconds after the turn's first mark
    end: float


def segments(timeline: TurnTimeline) -> list[Segment]:
    marks = sorted((m for m in timeline.marks if m.stage is not Stage.BARGE_IN), key=lambda m: ORDER.index(m.stage))
    if not marks:
        return []
    t0 = marks[0].t
    return [Segment(b.stage, a.t - t0, b.t - t0) for a, b in zip(marks, marks[1:]) if b.t >= a.t]


def barge_ins(timeline: TurnTimeline) -> list[float]:
    starts = [m.t for m in timeline.marks if m.stage is not Stage.BARGE_IN]
    t0 = min(starts) if starts else 0.0
    return [m.t - t0 for m in timeline.marks if m.stage is Stage.BARGE_IN]


def nice_step(span: float, ticks: int = 4) -> float:
    raw = max(span, 1e-3) / ticks
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def fmt_seconds(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.1f} s"


def summary(timeline: TurnTimeline) -> str:
    parts = [f"{SEGMENT_NAME[s.end_stage][0]} done at {fmt_seconds(s.end)}" for s in segments(timeline)]
    cold = f"; model loading took {fmt_seconds(timeline.cold_load_s)}" if timeline.cold_load_s else ""
    return f"Turn {timeline.turn_id}: " + (", ".join(parts) or "no timings") + cold


class LatencyChart(QWidget):
    ROW, GAP = 16, 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timelines: list[TurnTimeline] = []
        self.setAccessibleName("Latency timeline")
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.setMinimumHeight(self._height_for(1))

    def add(self, timeline: TurnTimeline) -> None:
        self.timelines = [t for t in self.timelines if t.turn_id != timeline.turn_id] + [timeline]
        self.timelines = self.timelines[-MAX_ROWS:]
        self.setMinimumHeight(self._height_for(len(self.timelines)))
        self.setAccessibleDescription(summary(timeline))
        self.updateGeometry()
        self.update()

    @property
    def label_w(self) -> int:
        return QFontMetrics(self.font()).horizontalAdvance("Turn 00") + 10

    def _legend_items(self, width: int) -> list[tuple[str, str, int, int]]:
        """(name, colour, x, line) for each legend entry, wrapped to ``width``."""
        fm = QFontMetrics(self.font())
        x, line, out = self.label_w, 0, []
        for name, color in [*SEGMENT_NAME.values(), ("barge-in", "#d93025")]:
            w = 14 + fm.horizontalAdvance(name) + 14
            if x + w > width and x > self.label_w:
                x, line = self.label_w, line + 1
            out.append((name, color, x, line))
            x += w
        return out

    def _legend_h(self) -> int:
        lines = 1 + max(line for *_rest, line in self._legend_items(max(self.width(), 200)))
        return lines * (QFontMetrics(self.font()).height() + 2) + 4

    def _height_for(self, rows: int) -> int:
        fm = QFontMetrics(self.font())
        note = fm.height() + 4 if self.cold_note() else 0
        return max(1, rows) * (self.ROW + self.GAP) + fm.height() + 8 + self._legend_h() + note

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.setMinimumHeight(self._height_for(len(self.timelines)))

    def _right_margin(self, fm: QFontMetrics, span: float) -> int:
        return fm.horizontalAdvance(fmt_seconds(span)) // 2 + 4

    def cold_note(self) -> str:
        """Model loading is kept out of the bars; it is listed under the chart instead."""
        cold = [f"{fmt_seconds(t.cold_load_s)} (turn {t.turn_id})" for t in self.timelines if t.cold_load_s]
        return "Model load, not in bars: " + ", ".join(cold) if cold else ""

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(320, self._height_for(len(self.timelines)))

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        fm = QFontMetrics(self.font())
        if not self.timelines:
            painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Timings appear after the first turn.")
            return
        span = max((s.end for t in self.timelines for s in segments(t)), default=0.0) or 1.0
        span = max(span, max((b for t in self.timelines for b in barge_ins(t)), default=0.0))
        width = self.width() - self.label_w - self._right_margin(fm, span)
        fits = max(1, width // (fm.horizontalAdvance("0.0 s") + 16))
        step = nice_step(span, min(4, fits))
        span = math.ceil(span / step - 1e-9) * step
        x_of = lambda s: self.label_w + width * s / span  # noqa: E731
        rows_h = len(self.timelines) * (self.ROW + self.GAP)
        self._draw_grid(painter, pal, fm, span, step, x_of, rows_h)
        for row, timeline in enumerate(self.timelines):
            self._draw_row(painter, pal, fm, row * (self.ROW + self.GAP) + 2, timeline, x_of)
        legend_y = rows_h + fm.height() + 10
        self._draw_legend(painter, pal, fm, legend_y)
        if self.cold_note():
            painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(QRectF(0, legend_y + self._legend_h(), self.width(), fm.height() + 2),
                             Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap, self.cold_note())

    def _draw_grid(self, painter, pal, fm, span, step, x_of, rows_h) -> None:
        grid = pal.color(QPalette.ColorRole.Mid)
        grid.setAlpha(90)
        text = pal.color(QPalette.ColorRole.PlaceholderText)
        tick = 0.0
        while tick <= span + 1e-9:
            x = x_of(tick)
            painter.setPen(grid)
            painter.drawLine(round(x), 0, round(x), rows_h)
            painter.setPen(text)
            label = fmt_seconds(tick)
            painter.drawText(round(x - fm.horizontalAdvance(label) / 2), rows_h + fm.ascent() + 2, label)
            tick += step

    def _draw_row(self, painter, pal, fm, y, timeline, x_of) -> None:
        painter.setPen(pal.color(QPalette.ColorRole.WindowText))
        painter.drawText(QRectF(0, y, self.label_w - 6, self.ROW),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"Turn {timeline.turn_id}")
        painter.setPen(Qt.PenStyle.NoPen)
        for seg in segments(timeline):
            painter.setBrush(QColor(SEGMENT_NAME[seg.end_stage][1]))
            x0, x1 = x_of(seg.start), x_of(seg.end)
            painter.drawRoundedRect(QRectF(x0, y, max(2.0, x1 - x0 - 1), self.ROW), 3, 3)
        painter.setPen(QColor("#d93025"))
        for t in barge_ins(timeline):
            painter.drawLine(round(x_of(t)), y - 3, round(x_of(t)), y + self.ROW + 3)

    def _draw_legend(self, painter, pal, fm, y) -> None:
        for name, color, x, line in self._legend_items(self.width()):
            top = y + line * (fm.height() + 2)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(color))
            painter.drawRoundedRect(QRectF(x, top + (fm.height() - 10) / 2, 10, 10), 2, 2)
            painter.setPen(pal.color(QPalette.ColorRole.WindowText))
            painter.drawText(x + 14, top + fm.ascent(), name)
