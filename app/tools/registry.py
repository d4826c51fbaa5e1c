"""Tools register themselves by name; every module of app/tools/ is imported on first use, so a new tool is a new
file (nothing else changes). ``@register_tool`` goes on a class whose instances satisfy ``app.tools.base.Tool``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, TypeVar

from app.tools.base import Tool
from models.tool_format import ToolSpec
from app.plugins import import_all

_TOOLS: dict[str, Tool] = {}
T = TypeVar("T", bound=type)


def register_tool(cls: T) -> T:
    tool = cls()
    if not isinstance(tool, Tool):
        raise TypeError(f"{cls.__name__} does not implement the Tool protocol")
    if tool.name in _TOOLS and type(_TOOLS[tool.name]) is not cls:
        raise ValueError(f"two tools are named {tool.name!r}: {type(_TOOLS[tool.name]).__name__} and {cls.__name__}")
    _TOOLS[tool.name] = tool
    return cls


def _discover() -> None:
    import_all("app.tools")


def all_tools() -> dict[str, Tool]:
    _discover()
    return dict(sorted(_TOOLS.items()))


def tools_for(names: Iterable[str]) -> tuple[Tool, ...]:
    """The named tools in the given order; an unknown name raises KeyError listing the known ones."""
    known = all_tools()
    missing = [n for n in names if n not in known]
    if missing:
        raise KeyError(f"unknown tool(s) {', '.join(missing)}; known: {', '.join(known)}")
    return tuple(known[n] for n in names)


def spec_of(tool: Tool) -> ToolSpec:
    """What the chat template renders for ``tool``."""
    return ToolSpec(tool.name, tool.description, tool.parameters)


@dataclass(frozen=True)
class Toolset:
    """A mode's tools by name (for prepare_call / ToolRunner) and their specs (for the chat template)."""

    tools: Mapping[str, Tool]
    specs: tuple[ToolSpec, ...]

    @classmethod
    def of(cls, names: Iterable[str]) -> "Toolset":
        chosen = tools_for(tuple(names))
        return cls({t.name: t for t in chosen}, tuple(spec_of(t) for t in chosen))
