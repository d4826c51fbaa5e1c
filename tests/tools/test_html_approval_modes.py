"""read_page (HTML -> Markdown, offline refusal), spoken approvals, and the mode registry."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.conversations.transcript import DEFAULT_SYSTEM
from app.modes.base import LookPolicy, Mode, SpeechStyle
from app.modes.registry import all_modes, get_mode
from app.tools._html import html_to_markdown
from app.tools.approval import Approval, is_approval
from app.tools.registry import all_tools, tools_for

PAGE = """<!doctype html><html><head><title>calc docs</title><style>body{color:red}</style>
<script>var tracking = 1;</script></head><body>
<nav><ul><li><a href="/">Home</a></li><li><ul><li><a href="/api">API</a></li></ul></li></ul></nav>
<div class="sphinxsidebar" role="navigation"><p>Search the docs</p></div>
<main><h1>Using <code>add</code><a class="doc-anchor" href="#using">§</a></h1>
<p>Call <code>add(a, b)</code> to <strong>sum</strong> two numbers. See <a href="https://example.com/x">the spec</a>.</p>
<pre><code>from calc.main import add
print(add(2, 3))
</code></pre>
<ul><li><p>fast</p></li><li>small<ul><li>really</li></ul></li></ul>
<ol><li>one</li><li>two</li></ol>
<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>
</main><footer>Copyright 2026</footer><script>more()</script></body></html>"""


def test_html_to_markdown_keeps_content_and_drops_chrome():
    title, md = html_to_markdown(PAGE)
    assert title == "calc docs"
    assert md.startswith("# Using `add`\n\nCall")
    assert "Call `add(a, b)` to **sum** two numbers. See [the spec](https://example.com/x)." in md
    assert "```\nfrom calc.main import add\nprint(add(2, 3))\n```" in md
    assert "- fast\n- small\n  - really" in md and "1. one\n2. two" in md
    assert "| a | b |\n| --- | --- |\n| 1 | 2 |" in md
    for chrome in ("tracking", "color:red", "Home", "Search the docs", "Copyright", "more()"):
        assert chrome not in md


def test_read_page_reads_a_workspace_html_file(ctx, repo: Path):
    (repo / "docs").mkdir()
    (repo / "docs" / "index.html").write_text(PAGE)
    result = all_tools()["read_page"].run({"source": "docs/index.html"}, ctx)
    assert result.ok and result.content.startswith("calc docs (docs/index.html):\n# Using `add`")


def test_urls_are_refused_offline_with_a_clear_message(ctx):
    result = all_tools()["read_page"].run({"source": "https://docs.python.org/3/"}, ctx)
    assert not result.ok and "offline" in result.error
    result = all_tools()["read_page"].run({"source": "ftp://x/y"}, replace(ctx, offline=False))
    assert not result.ok and "http" in result.error


@pytest.mark.parametrize("text, expected", [
    ("yes", Approval.YES), ("Yes.", Approval.YES), ("go ahead", Approval.YES), ("do it!", Approval.YES),
    ("Sure, go ahead.", Approval.YES), ("yes please", Approval.YES), ("OK, do it, thanks", Approval.YES),
    ("no", Approval.NO), ("No, don't.", Approval.NO), ("cancel", Approval.NO), ("stop", Approval.NO),
    ("yes but first rename the function", Approval.UNCLEAR),
    ("I think yes is the right answer here", Approval.UNCLEAR),
    ("what does it do?", Approval.UNCLEAR), ("yes no", Approval.UNCLEAR), ("", Approval.UNCLEAR),
    ("go ahead and also delete the tests", Approval.UNCLEAR),
])
def test_only_a_short_whole_answer_counts(text, expected):
    assert is_approval(text) is expected


def test_modes_are_discovered_and_name_real_tools():
    modes = all_modes()
    assert {"assistant", "coding"} <= set(modes)
    assistant, coding = modes["assistant"], modes["coding"]
    assert assistant.system_prompt == DEFAULT_SYSTEM and assistant.tools == ()
    assert assistant.speech is SpeechStyle.CONVERSATIONAL and assistant.look is LookPolicy.ON_REQUEST
    assert coding.speech is SpeechStyle.BRIEF_SUMMARY and coding.needs_workspace and coding.max_tool_steps > 0
    assert {t.name for t in tools_for(coding.tools)} == set(coding.tools)
    for mode in modes.values():
        tools_for(mode.tools)  # every mode's tools exist


def test_unknown_mode_and_bad_mode():
    with pytest.raises(KeyError, match="assistant"):
        get_mode("narrator-that-does-not-exist")
    with pytest.raises(ValueError):
        Mode("x", "X", "p", tools=("read_file",), max_tool_steps=0)


def test_coding_mode_speaks_a_short_summary_without_code():
    from app.modes.speech import spoken_part
    from app.tools.base import Proposal, ProposalKind, ToolResult
    from app.tools.render import proposal_text, result_text

    reply = ("I fixed add. It now adds. The test passes too.\n\n```python\ndef add(a, b):\n    return a + b\n```\n"
             "Anything else?")
    assert spoken_part(reply, get_mode("coding")) == "I fixed add. It now adds."
    assert spoken_part(reply, get_mode("assistant")) == reply
    text = proposal_text(Proposal(ProposalKind.EDIT, "Edit a.py: 1 line(s) added, 1 removed.", "-x\n+y\n"))
    assert text.endswith("Apply this edit? [y/N] ") and "-x\n+y" in text
    assert result_text(ToolResult("c", "git", False, "Error: no", None, "no")) == "[git] no"


def test_toolset_and_workspace_settings(repo: Path):
    from app.tools.context import WorkspaceSettings
    from app.tools.registry import Toolset
    from app.tools.undo import UndoJournal

    toolset = Toolset.of(get_mode("coding").tools)
    assert list(toolset.tools) == list(get_mode("coding").tools) == [s.name for s in toolset.specs]
    settings = WorkspaceSettings(folder=repo)
    journal = UndoJournal()
    first, second = settings.context(True, journal), settings.context(True, journal)
    assert first.cancel is not second.cancel and first.undo is second.undo is journal
    assert "pytest" in first.allowed_commands and first.workspace == repo


@pytest.mark.parametrize("pattern, path, is_dir, ignored", [
    ("*.pyc", "a/b/c.pyc", False, True), ("/top", "top", False, True), ("/top", "a/top", False, False),
    ("build/", "build", False, False), ("build/", "x/build", True, True), ("a/**/z", "a/z", False, True),
    ("a/**/z", "a/b/c/z", False, True), ("**/cache", "x/y/cache", True, True), ("docs/*.md", "docs/x/y.md", False, False),
    ("logs/**", "logs/a/b.txt", False, True), ("f?o", "fxo", False, True), ("[ab].txt", "c.txt", False, False),
    ("\\#hash", "#hash", False, True),
])
def test_gitignore_patterns(pattern, path, is_dir, ignored):
    from app.tools._gitignore import is_ignored, parse_rules

    assert is_ignored(path, is_dir, parse_rules(pattern)) is ignored
