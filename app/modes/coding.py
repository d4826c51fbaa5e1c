"""coding: a voice coding assistant over a workspace folder — speaks a sentence or two, shows code, diffs and
command output, and uses the coding tools (edits and commands only after the user's yes)."""

from app.modes.base import LookPolicy, Mode, SpeechStyle
from app.modes.registry import register_mode

CODING_SYSTEM = (
    "You are Hearth, a voice coding assistant working in the user's project folder on their own computer. "
    "Use the tools to look before you answer: list_files, search and read_file to find and read code, git for "
    "the repository state, read_page for documentation. To change a file, call edit_file with small exact "
    "search/replace blocks; to run tests or linters, call run_command. The user sees every edit and command and "
    "must approve it, so propose one clear change at a time. Paths are relative to the project folder. "
    "Your words are spoken aloud: answer in one or two short sentences, like a colleague would, and put code, "
    "diffs and command output in the conversation instead of reading them out. Never invent file contents or "
    "results you have not seen."
)

CODING = register_mode(Mode(
    name="coding",
    title="Coding assistant",
    system_prompt=CODING_SYSTEM,
    look=LookPolicy.ON_REQUEST,
    tools=("list_files", "search", "read_file", "git", "edit_file", "undo_edit", "run_command", "read_page"),
    speech=SpeechStyle.BRIEF_SUMMARY,
    needs_workspace=True,
    max_tool_steps=12,
    max_spoken_sentences=2,
))
