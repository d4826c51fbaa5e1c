"""Memory panel: KV cache tokens held, bytes, compression against bf16 and how many more tokens fit."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QProgressBar, QWidget

from app.engine.messages import GenerationStats
from app.loop.events import MemoryStats
from app.units import human_bytes


class MemoryPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tokens = QLabel("—")
        self.bytes = QLabel("—")
        self.ratio = QLabel("—")
        self.room = QLabel("—")
        self.fill = QProgressBar()
        self.fill.setRange(0, 1000)
        self.fill.setValue(0)
        self.fill.setTextVisible(False)
        self.fill.setMaximumHeight(10)
        self.fill.setAccessibleName("Share of the memory budget used by the conversation")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(4)
        for label, widget in (("Tokens held", self.tokens), ("Cache size", self.bytes),
                              ("vs. bf16", self.ratio), ("Room left", self.room)):
            widget.setAccessibleName(label)
            form.addRow(label, widget)
        form.addRow(self.fill)
        self._have_stats = False

    def show_stats(self, stats: MemoryStats) -> None:
        self._have_stats = True
        self.tokens.setText(f"{stats.tokens:,}")
        self.bytes.setText(human_bytes(stats.bytes))
        self.ratio.setText(f"{stats.bf16_bytes / stats.bytes:.1f}× smaller" if stats.bytes else "—")
        self.room.setText(f"{stats.tokens_that_fit:,} more tokens")
        total = stats.tokens + stats.tokens_that_fit
        self.fill.setValue(round(1000 * stats.tokens / total) if total else 0)
        self.setAccessibleDescription(
            f"{stats.tokens} tokens in {human_bytes(stats.bytes)}, room for {stats.tokens_that_fit} more")

    def show_generation(self, stats: GenerationStats) -> None:
        """Engine stats after a reply: used until the session reports full memory stats."""
        if self._have_stats or not stats.kv_tokens:
            return
        self.tokens.setText(f"{stats.kv_tokens:,}")
        self.bytes.setText(human_bytes(stats.kv_bytes))
