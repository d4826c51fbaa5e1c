"""run_command: run a command from the workspace's allow-list (tests, linters) in the workspace folder.

No shell: the command line is split like a shell would (quotes respected) and must start with one of the allowed
commands (``allowed_commands`` in the workspace settings, e.g. "pytest", "uv run pytest", "ruff check").
Timeout kills the whole process group; output is capped and its tail is fed back to the model.
"""

from __future__ import annotations

import shlex
from typing import Mapping

from app.tools._support import WorkspaceTool, arg_str
from app.tools.base import (DisplayKind, Proposal, ProposalKind, Risk, ToolContext, ToolDisplay, ToolResult,
                            cap_text, failed, ok)
from app.tools.procs import run_process
from app.tools.registry import register_tool
from app.tools.workspace import Workspace, WorkspaceError

TAIL_FOR_MODEL = 4000


def allowed_argv(command: str, allowed: tuple[str, ...]) -> list[str]:
    """The argv of ``command`` when it starts with an allowed command, else WorkspaceError naming the allowed."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise WorkspaceError(f"cannot read the command line ({exc}).") from None
    if not argv:
        raise WorkspaceError("the command is empty.")
    for entry in allowed:
        prefix = shlex.split(entry)
        if prefix and argv[: len(prefix)] == prefix:
            return argv
    listed = ", ".join(f"'{a}'" for a in allowed) or "none (add some to the workspace settings)"
    raise WorkspaceError(f"'{argv[0]}' is not on the allow-list of commands; allowed: {listed}.")


@register_tool
class RunCommand(WorkspaceTool):
    name = "run_command"
    description = ("Run a command (tests, linters) in the workspace; only commands on the user's allow-list run. "
                   "Returns the exit code and the end of the output.")
    parameters = {
        "type": "object",
        "properties": {"command": {"type": "string", "minLength": 1, "description": "e.g. 'pytest -q tests/'"}},
        "required": ["command"],
        "additionalProperties": False,
    }
    risk = Risk.RUN

    def notice(self, args: Mapping[str, object]) -> str:
        first = arg_str(args, "command").split(" ", 1)[0]
        return f"Running {first.rsplit('/', 1)[-1] or 'the command'}…"

    def propose(self, args: Mapping[str, object], ctx: ToolContext, ws: Workspace) -> Proposal:
        argv = allowed_argv(arg_str(args, "command"), ctx.allowed_commands)
        line = shlex.join(argv)
        return Proposal(ProposalKind.COMMAND, f"Run {argv[0]} in the workspace.", f"$ {line}")

    def act(self, args: Mapping[str, object], ctx: ToolContext, ws: Workspace) -> ToolResult:
        argv = allowed_argv(arg_str(args, "command"), ctx.allowed_commands)
        out = run_process(argv, ws.root, ctx.command_timeout_s, ctx.cancel, ctx.max_output_chars)
        line = f"$ {shlex.join(argv)}"
        display = ToolDisplay(DisplayKind.COMMAND_OUTPUT, out.output, line)
        tail = cap_text(out.output, TAIL_FOR_MODEL, keep="tail")
        if out.start_error:
            return failed("", self.name, f"could not start it: {out.start_error}")
        if out.cancelled:
            return failed("", self.name, f"cancelled by the user after {out.duration_s:.1f} s.")
        if out.timed_out:
            result = failed("", self.name, f"killed after the {ctx.command_timeout_s:g} s timeout.")
            return ToolResult("", self.name, False, f"{result.content}\n{line}\n{tail}", display, result.error)
        status = f"exit code {out.exit_code} after {out.duration_s:.1f} s"
        return ok("", self.name, f"{line}\n{status}\n{tail}", display)
