"""The agent's steps in the conversation: a tool's notice and output (monospace, collapsible), and the approval
panel (the diff or command with Approve / Reject). Widgets only render; answering emits ``ApprovalAnswer``."""

from __future__ import annotations

from typing import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetrics, QPalette, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.loop.vocabulary import ApprovalAnswer
from app.tools.base import DisplayKind, Proposal, ProposalKind, ToolCall, ToolDisplay, ToolResult

LONG_OUTPUT_LINES = 8  # longer outputs start collapsed
MAX_SHOWN_LINES = 18  # taller outputs scroll inside their box
KIND_TEXT = {DisplayKind.DIFF: "Changes", DisplayKind.COMMAND_OUTPUT: "Command output",
             DisplayKind.FILE_EXCERPT: "File", DisplayKind.TEXT: "Output"}
APPROVE_KEYS, REJECT_KEYS = "Ctrl+Shift+A", "Ctrl+Shift+R"


def mono_font() -> QFont:
    """The system's fixed-width font at the app's text size (large text included)."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    size = QApplication.font().pointSize()
    if size > 0:
        font.setPointSize(size)
    return font


def call_text(name: str, arguments: Mapping[str, object], limit: int = 48) -> str:
    """A call as one short line: ``read_file(path=app/main.py, start=10)``."""
    def short(value: object) -> str:
        text = str(value).replace("\n", "⏎")
        return text if len(text) <= limit else text[: limit - 1] + "…"

    return f"{name}({', '.join(f'{k}={short(v)}' for k, v in arguments.items())})"


def diff_colors(palette: QPalette) -> dict[str, QColor]:
    """Added / removed / hunk line colours readable on this palette (the +/- signs carry the meaning too)."""
    if palette.color(QPalette.ColorRole.Highlight) == QColor("#ffd400"):  # high contrast
        return {"+": QColor("#ffd400"), "-": QColor("#ff9e9e"), "@": QColor("#9ecbff")}
    dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
    return {"+": QColor("#7ee787" if dark else "#116329"), "-": QColor("#ff7b72" if dark else "#a40e26"),
            "@": QColor("#79c0ff" if dark else "#0550ae")}


class DiffHighlighter(QSyntaxHighlighter):
    def __init__(self, document, palette: QPalette) -> None:
        super().__init__(document)
        self.formats: dict[str, QTextCharFormat] = {}
        self.use(palette)

    def use(self, palette: QPalette) -> None:
        """Colours for this palette (after a switch to or from high contrast)."""
        for sign, color in diff_colors(palette).items():
            fmt = QTextCharFormat()
            fmt.setForeground(color)
            self.formats[sign] = fmt
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        if text.startswith(("+++", "---")):
            return
        fmt = self.formats.get(text[:1])
        if fmt is not None:
            self.setFormat(0, len(text), fmt)


class OutputBlock(QWidget):
    """A titled monospace text that folds: a toggle button (Space/Enter) shows or hides it; long ones start folded."""

    def __init__(self, title: str, text: str, collapsed: bool | None = None, wrap: bool = False,
                 diff: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title, self.text = title, text
        self.lines = text.rstrip("\n").count("\n") + 1 if text else 0
        self.toggle = QToolButton()
        self.toggle.setObjectName("outputToggle")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.toggle.toggled.connect(self.set_expanded)
        self.body = QPlainTextEdit(text.rstrip("\n"))  # a final newline would be an empty last line
        self.body.setObjectName("monospace")
        self.body.setReadOnly(True)
        self.body.setTabChangesFocus(True)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.body.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth if wrap
                                  else QPlainTextEdit.LineWrapMode.NoWrap)
        self.body.setAccessibleName(title)
        self.highlighter = DiffHighlighter(self.body.document(), QApplication.palette()) if diff else None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.body)
        self.refit()
        self.set_expanded(self.lines <= LONG_OUTPUT_LINES if collapsed is None else not collapsed)

    @property
    def expanded(self) -> bool:
        return self.toggle.isChecked()

    def set_expanded(self, on: bool) -> None:
        if self.toggle.isChecked() != on:
            self.toggle.setChecked(on)  # comes back here through ``toggled``
            return
        self.body.setVisible(on)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        count = f"{self.lines} line{'s' if self.lines != 1 else ''}"
        self.toggle.setText(f"{self.title} · {count} · {'hide' if on else 'show'}")
        self.toggle.setAccessibleName(f"{'Hide' if on else 'Show'} {self.title}, {count}")

    def refit(self) -> None:
        """Monospace at the current text size, as tall as the text up to ``MAX_SHOWN_LINES`` lines."""
        font = mono_font()
        self.body.setFont(font)
        if self.highlighter is not None:
            self.highlighter.use(QApplication.palette())
        shown = max(1, min(self.lines, MAX_SHOWN_LINES))
        frame = 2 * self.body.frameWidth() + 2 * int(self.body.document().documentMargin()) + 6
        scroll = 0 if self.body.lineWrapMode() != QPlainTextEdit.LineWrapMode.NoWrap else \
            self.body.horizontalScrollBar().sizeHint().height()
        self.body.setFixedHeight(QFontMetrics(font).lineSpacing() * shown + frame + scroll)


def display_block(display: ToolDisplay, collapsed: bool | None = None) -> OutputBlock:
    title = display.title or KIND_TEXT[display.kind]
    return OutputBlock(title, display.text, collapsed, wrap=display.kind is DisplayKind.TEXT,
                       diff=display.kind is DisplayKind.DIFF)


class ApprovalPanel(QFrame):
    """What a write/run tool wants to do, and the user's yes or no (buttons, shortcuts, or by voice)."""

    answered = Signal(object)  # ApprovalAnswer

    def __init__(self, call: ToolCall, proposal: Proposal, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.call, self.proposal = call, proposal
        self.outcome: bool | None = None
        self.sent = False  # answered by button; the outcome arrives as ApprovalGiven
        self.setObjectName("approval")
        what = "command" if proposal.kind is ProposalKind.COMMAND else "change"
        self.heading = QLabel(f"Hearth asks: run this {what}?" if what == "command"
                              else "Hearth asks: make this change?", objectName="sectionTitle", wordWrap=True)
        self.summary = QLabel(proposal.summary, wordWrap=True)
        self.paths = QLabel("Files: " + ", ".join(proposal.paths), objectName="hint", wordWrap=True)
        self.paths.setVisible(bool(proposal.paths))
        title = "Command" if proposal.kind is ProposalKind.COMMAND else "Proposed diff"
        self.detail = OutputBlock(title, proposal.detail, collapsed=False, diff=proposal.kind is ProposalKind.EDIT)
        self.approve = QPushButton("&Approve")
        self.approve.setAccessibleName("Approve")
        self.approve.setToolTip(f"Do it ({APPROVE_KEYS}, or say “yes”)")
        self.approve.clicked.connect(lambda: self.answer(True))
        self.reject = QPushButton("&Reject")
        self.reject.setAccessibleName("Reject")
        self.reject.setToolTip(f"Leave everything as it is ({REJECT_KEYS}, or say “no”)")
        self.reject.clicked.connect(lambda: self.answer(False))
        self.result = QLabel(objectName="approvalOutcome", wordWrap=True)
        self.result.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.approve)
        buttons.addWidget(self.reject)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)
        for widget in (self.heading, self.summary, self.paths, self.detail):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addWidget(self.result)
        self.setAccessibleName(f"{self.heading.text()} {proposal.summary}")
        self.setAccessibleDescription(f"Approve with {APPROVE_KEYS}, reject with {REJECT_KEYS}.")

    @property
    def waiting(self) -> bool:
        return self.outcome is None and not self.sent

    def prompt(self) -> str:
        """What a screen reader says when the panel appears."""
        return (f"Approval needed: {self.proposal.summary}. Approve with {APPROVE_KEYS.replace('+', ' ')}, "
                f"reject with {REJECT_KEYS.replace('+', ' ')}.")

    def focus(self) -> None:
        self.detail.body.setFocus(Qt.FocusReason.OtherFocusReason)

    def answer(self, approved: bool) -> None:
        if self.waiting:
            self.sent = True
            for button in (self.approve, self.reject):
                button.setEnabled(False)
            self.result.setText("Approving…" if approved else "Rejecting…")
            self.result.show()
            self.answered.emit(ApprovalAnswer(self.call.call_id, approved, "button"))

    def set_outcome(self, approved: bool, said: str) -> str:
        """The answer arrived (button or voice): buttons off, the outcome in words; returns the words."""
        self.outcome = approved
        how = "" if said in ("button", "", "cancelled") else f" (you said “{said}”)"
        text = (f"✓ Approved{how}." if approved else "✗ Cancelled: nothing was changed." if said == "cancelled"
                else f"✗ Rejected{how}: nothing was changed.")
        self.result.setText(text)
        self.result.show()
        for button in (self.approve, self.reject):
            button.setEnabled(False)
        self.setAccessibleDescription(text)
        self.detail.set_expanded(False)  # answered: the diff folds (it stays one key press away)
        return text


class ToolStep(QFrame):
    """One tool call of a turn: its notice while it works, then done/failed, its output, and any approval."""

    def __init__(self, call: ToolCall, notice: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.call, self.notice = call, notice
        self.setObjectName("toolStep")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.header = QLabel(notice, objectName="toolNotice", wordWrap=True)
        self.what = QLabel(call_text(call.name, call.arguments), objectName="hint", wordWrap=True)
        self.what.setFont(mono_font())
        self.error = QLabel(objectName="toolError", wordWrap=True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(12, 8, 12, 8)
        self.column.setSpacing(4)
        for widget in (self.header, self.what, self.error):
            self.column.addWidget(widget)
        self.approval: ApprovalPanel | None = None
        self.output: OutputBlock | None = None
        self.result: ToolResult | None = None
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setAccessibleName(notice)

    def ask(self, proposal: Proposal) -> ApprovalPanel:
        self.approval = ApprovalPanel(self.call, proposal)
        self.column.addWidget(self.approval)
        return self.approval

    def finish(self, result: ToolResult) -> str:
        """Show the result; returns the words that say how it ended."""
        self.result = result
        base = self.notice.rstrip("…. ")
        status = "done" if result.ok else "failed"
        self.header.setText(f"{base} — {status}")
        if not result.ok:
            self.error.setText(f"✗ {result.error or result.content}")
            self.error.show()
        if result.display is not None and result.display.text:
            self.output = display_block(result.display)
            self.column.addWidget(self.output)
        said = f"{base}: {status}" + (f". {result.error}" if not result.ok and result.error else "")
        self.setAccessibleName(said)
        return said

    def stop(self) -> None:
        """Interrupted before it finished: nothing more will come for it."""
        self.header.setText(f"{self.notice.rstrip('…. ')} — stopped")
        self.setAccessibleName(self.header.text())

    def refit(self) -> None:
        self.what.setFont(mono_font())
        for block in (self.output, self.approval.detail if self.approval else None):
            if block is not None:
                block.refit()
