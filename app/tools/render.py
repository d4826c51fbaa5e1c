"""Plain-text renderings of tool values for the terminal front ends and logs (the GUI renders the same values
itself: monospace, collapsible)."""

from __future__ import annotations

from app.tools.base import Proposal, ProposalKind, ToolResult, cap_text

MAX_SHOWN = 6000

_QUESTIONS = {ProposalKind.EDIT: "Apply this edit?", ProposalKind.COMMAND: "Run this command?"}


def proposal_text(proposal: Proposal) -> str:
    """What the terminal prints before asking y/N."""
    return f"{proposal.summary}\n{cap_text(proposal.detail, MAX_SHOWN)}\n{_QUESTIONS[proposal.kind]} [y/N] "


def result_text(result: ToolResult) -> str:
    if not result.ok:
        return f"[{result.name}] {result.error}"
    if result.display is None:
        return f"[{result.name}] {cap_text(result.content, MAX_SHOWN)}"
    title = f" {result.display.title}" if result.display.title else ""
    return f"[{result.name}]{title}\n{cap_text(result.display.text, MAX_SHOWN)}"
