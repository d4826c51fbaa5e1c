"""The agent in the window: tool notices and output (monospace, folded when long), the approval panel (buttons,
shortcuts, focus, announcements, outcome by button or by voice), and saved tool steps."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QApplication

from app.conversations.store import ConversationInfo
from app.gui.bubble import Who
from app.gui.tool_views import ApprovalPanel, OutputBlock, ToolStep
from app.loop.events import ApprovalGiven, ConversationOpened, SendText, ToolFinished, ToolStarted
from app.loop.vocabulary import ApprovalAnswer
from app.tools.base import ToolCall, failed
from models.base import ChatMessage, Speaker
from models.tool_format import AssistantToolCalls, FunctionCall, ToolReply
from tests.gui.fakes import DIFF, EDIT, FILE_TEXT


def steps(w) -> list[ToolStep]:
    return [b for b in w.conversation.blocks() if isinstance(b, ToolStep)]


def start_agent_turn(harness, qtbot) -> ApprovalPanel:
    w = harness.window
    harness.session.agent = True
    w.compose.text.setText("fix the typo in main.py")
    w.compose.send()
    qtbot.waitUntil(lambda: w.agent.pending() is not None)
    return w.agent.pending()


def test_a_tool_turn_shows_notices_output_and_the_approval_panel(harness, qtbot):
    w = harness.window
    panel = start_agent_turn(harness, qtbot)
    read, edit = steps(w)
    assert read.header.text() == "Reading main.py — done" and "read_file(path=main.py)" in read.what.text()
    assert read.output is not None and read.output.text == FILE_TEXT
    assert not read.output.expanded and not read.output.body.isVisibleTo(read)  # 30 lines: folded
    assert QFontInfo(read.output.body.font()).fixedPitch()
    assert edit.approval is panel and panel.detail.text == DIFF and panel.detail.expanded
    assert QFontInfo(panel.detail.body.font()).fixedPitch()
    assert panel.approve.isEnabled() and panel.reject.isEnabled()
    assert w.approve_action.isEnabled() and w.reject_action.isEnabled()
    assert w.focusWidget() is panel.detail.body  # focus moved to what must be approved
    said = list(w.announcer.history)
    assert "Reading main.py…" in said and "Editing main.py…" in said
    assert any(s.startswith("Approval needed: Edit main.py: 1 line changed. Approve with Ctrl Shift A") for s in said)
    # what the model said before the tools is its own bubble, above the steps; no empty bubble for the second step
    assert [m.text for m in w.conversation.messages() if m.who is Who.ASSISTANT] == ["Let me look."]


def test_the_output_toggle_works_by_keyboard(harness, qtbot):
    w = harness.window
    start_agent_turn(harness, qtbot)
    block = steps(w)[0].output
    block.toggle.setFocus()
    qtbot.keyClick(block.toggle, Qt.Key.Key_Space)
    assert block.expanded and block.body.isVisibleTo(block) and "hide" in block.toggle.text()
    assert block.toggle.accessibleName().startswith("Hide main.py lines 1-30, 30 lines")
    qtbot.keyClick(block.toggle, Qt.Key.Key_Space)
    assert not block.expanded and block.toggle.accessibleName().startswith("Show")


def test_approving_by_shortcut_sends_the_answer_and_shows_the_outcome(harness, qtbot):
    w = harness.window
    panel = start_agent_turn(harness, qtbot)
    w.approve_action.trigger()  # Ctrl+Shift+A
    assert harness.intents(ApprovalAnswer) == [ApprovalAnswer(EDIT.call_id, True, "button")]
    assert not panel.approve.isEnabled() and not panel.reject.isEnabled()
    qtbot.waitUntil(lambda: panel.outcome is True)
    assert panel.result.text() == "✓ Approved." and not panel.approve.isEnabled()
    qtbot.waitUntil(lambda: w.conversation.messages()[-1].text == harness.session.reply)
    edit = steps(w)[1]
    assert edit.header.text() == "Editing main.py — done" and edit.output.text == DIFF
    assert not w.approve_action.isEnabled()
    assert "✓ Approved." in w.announcer.history
    w.approve_action.trigger()  # nothing waits: nothing is sent
    assert len(harness.intents(ApprovalAnswer)) == 1


def test_rejecting_by_button_says_nothing_changed(harness, qtbot):
    w = harness.window
    panel = start_agent_turn(harness, qtbot)
    qtbot.mouseClick(panel.reject, Qt.MouseButton.LeftButton)
    assert harness.intents(ApprovalAnswer) == [ApprovalAnswer(EDIT.call_id, False, "button")]
    qtbot.waitUntil(lambda: steps(w)[1].result is not None)
    assert panel.result.text() == "✗ Rejected: nothing was changed."
    edit = steps(w)[1]
    assert edit.header.text() == "Editing main.py — failed" and edit.error.isVisibleTo(edit)
    assert edit.error.text().startswith("✗ the user did not approve this")


def test_a_spoken_answer_also_closes_the_panel(harness, qtbot):
    w = harness.window
    panel = start_agent_turn(harness, qtbot)
    harness.bridge.post(ApprovalGiven(1, EDIT.call_id, True, "go ahead"))
    qtbot.waitUntil(lambda: panel.outcome is True)
    assert panel.result.text() == "✓ Approved (you said “go ahead”)."
    assert not panel.approve.isEnabled() and not panel.reject.isEnabled()
    assert w.agent.pending() is None and not w.approve_action.isEnabled()
    assert harness.intents(ApprovalAnswer) == []


def test_a_failed_tool_shows_its_error_in_words(harness, qtbot):
    w = harness.window
    call = ToolCall("c9", "search", {"pattern": "TODO"})
    harness.bridge.post(ToolStarted(3, call, "Searching for TODO…"))
    harness.bridge.post(ToolFinished(3, failed("c9", "search", "the pattern is not a valid regex")))
    qtbot.waitUntil(lambda: bool(steps(w)) and steps(w)[0].result is not None)
    step = steps(w)[0]
    assert step.header.text() == "Searching for TODO — failed"
    assert step.error.text() == "✗ the pattern is not a valid regex"
    assert "Searching for TODO: failed. the pattern is not a valid regex" in w.announcer.history


def test_a_result_for_a_call_that_never_started_still_shows(harness, qtbot):
    w = harness.window
    harness.bridge.post(ToolFinished(4, failed("c5", "no_such_tool", "there is no tool no_such_tool")))
    qtbot.waitUntil(lambda: bool(steps(w)))
    assert steps(w)[0].error.text() == "✗ there is no tool no_such_tool"


def test_a_saved_conversation_with_tool_steps_is_shown(harness, qtbot):
    w = harness.window
    info = ConversationInfo("c7", "Fix", "2026-12-01T09:00:00", "2026-12-01T09:10:00")
    long_output = "\n".join(f"line {n}" for n in range(40))
    messages = (
        ChatMessage(Speaker.USER, "what is in main.py?", message_id="m1"),
        AssistantToolCalls("I'll read it.", (FunctionCall("read_file", {"path": "main.py"}, "k1"),), "m2"),
        ToolReply("k1", "read_file", long_output, "m3"),
        AssistantToolCalls("", (FunctionCall("git", {"command": "status"}, "k2"),), "m4"),
        ToolReply("k2", "git", "clean", "m5"),
        ChatMessage(Speaker.ASSISTANT, "It prints a greeting.", message_id="m6"),
    )
    harness.bridge.post(ConversationOpened(info, messages))
    qtbot.waitUntil(lambda: len(w.conversation.messages()) == 3)
    shown = [(m.who, m.text) for m in w.conversation.messages()]
    assert shown == [(Who.USER, "what is in main.py?"), (Who.ASSISTANT, "I'll read it."),
                     (Who.ASSISTANT, "It prints a greeting.")]
    blocks = w.conversation.blocks()
    texts = [b.text() if hasattr(b, "text") and callable(b.text) else b.text for b in blocks]
    assert texts[0] == "used read_file(path=main.py)" and texts[2] == "used git(command=status)"
    outputs = [b for b in blocks if isinstance(b, OutputBlock)]
    assert [o.text for o in outputs] == [long_output, "clean"] and not any(o.expanded for o in outputs)
    assert outputs[0].title == "read_file output"


def test_opening_another_conversation_forgets_a_waiting_approval(harness, qtbot):
    w = harness.window
    start_agent_turn(harness, qtbot)
    w.conversations.new()
    qtbot.waitUntil(lambda: not w.conversation.blocks())
    assert w.agent.pending() is None and not w.approve_action.isEnabled()


def test_typed_turns_without_tools_are_unchanged(harness, qtbot):
    w = harness.window
    w.send_intent(SendText("hi", message_id="x1"))
    qtbot.waitUntil(lambda: len(w.conversation.messages()) == 2)
    assert w.conversation.blocks() == []


def next_focusable(widget):
    """Where Tab goes from ``widget``: the next widget in the focus chain that takes Tab focus."""
    candidate = widget.nextInFocusChain()
    while candidate is not widget:
        if candidate.isVisible() and candidate.isEnabled() and candidate.focusPolicy() & Qt.FocusPolicy.TabFocus:
            return candidate
        candidate = candidate.nextInFocusChain()
    return widget


def test_tab_goes_from_the_diff_to_approve_then_reject(harness, qtbot):
    """The focus chain (what Tab follows; read from Qt, not from key events, which offscreen windows that are not
    active may drop) leads from the diff to Approve, then Reject; Space presses the focused button."""
    w = harness.window
    panel = start_agent_turn(harness, qtbot)
    qtbot.waitUntil(lambda: w.focusWidget() is panel.detail.body)
    assert panel.detail.body.tabChangesFocus()
    assert next_focusable(panel.detail.body) is panel.approve
    assert next_focusable(panel.approve) is panel.reject
    panel.reject.setFocus()
    qtbot.keyClick(panel.reject, Qt.Key.Key_Space)  # Space presses the focused button (it does not talk)
    qtbot.waitUntil(lambda: harness.intents(ApprovalAnswer) == [ApprovalAnswer(EDIT.call_id, False, "button")])


def test_barge_in_during_an_approval_stops_the_step(harness, qtbot):
    from app.loop.events import ReplyHeard

    w = harness.window
    panel = start_agent_turn(harness, qtbot)
    turn = w.agent.turn_of[EDIT.call_id]
    harness.bridge.post(ReplyHeard(turn, ""))  # the user spoke over it: the tool is cancelled, no result comes
    qtbot.waitUntil(lambda: panel.outcome is False)
    assert panel.result.text() == "✗ Cancelled: nothing was changed." and not panel.approve.isEnabled()
    assert steps(w)[1].header.text() == "Editing main.py — stopped"
    assert steps(w)[0].header.text() == "Reading main.py — done"  # finished steps stay as they were
    assert w.agent.pending() is None and not w.approve_action.isEnabled()
    assert "Stopped: Editing main.py." in w.announcer.history
    assert [m.text for m in w.conversation.messages() if m.who is Who.ASSISTANT] == ["Let me look."]


def test_diff_lines_are_coloured_and_keep_their_signs(harness, qtbot):
    from app.gui.tool_views import diff_colors

    panel = start_agent_turn(harness, qtbot)
    doc = panel.detail.body.document()
    lines = {doc.findBlockByNumber(i).text()[:1]: doc.findBlockByNumber(i) for i in range(doc.blockCount())}
    colors = diff_colors(QApplication.palette())
    for sign in "+-":
        block = lines[sign]
        assert block.layout().formats()[0].format.foreground().color() == colors[sign]
    assert panel.detail.body.toPlainText() == DIFF.rstrip("\n")  # the signs are there: not colour alone


def test_tool_output_follows_large_text(harness, qtbot):
    from app.gui.theme import LARGE_POINTS

    w = harness.window
    panel = start_agent_turn(harness, qtbot)
    before = panel.detail.body.height()
    w.large_action.trigger()
    assert panel.detail.body.font().pointSize() == LARGE_POINTS
    assert steps(w)[0].output.body.font().pointSize() == LARGE_POINTS
    assert panel.detail.body.height() > before  # still every line of the diff, in the larger font
    w.large_action.trigger()


def test_a_command_proposal_shows_the_command(harness, qtbot):
    from app.loop.events import ApprovalRequested
    from app.tools.base import Proposal, ProposalKind

    w = harness.window
    call = ToolCall("r1", "run_command", {"command": "pytest -q"})
    harness.bridge.post(ToolStarted(5, call, "Running pytest -q…"))
    harness.bridge.post(ApprovalRequested(5, call, Proposal(ProposalKind.COMMAND, "Run pytest -q", "$ pytest -q")))
    qtbot.waitUntil(lambda: w.agent.pending() is not None)
    panel = w.agent.pending()
    assert panel.heading.text() == "Hearth asks: run this command?" and panel.detail.title == "Command"
    assert panel.detail.text == "$ pytest -q" and panel.detail.highlighter is None
    assert not panel.paths.isVisibleTo(panel)  # no files
    assert w.talk.state.label.text() == "Waiting for your approval"
