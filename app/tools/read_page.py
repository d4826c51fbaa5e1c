"""read_page: a web page (when the network is allowed) or an HTML file of the workspace, as clean Markdown."""

from __future__ import annotations

from typing import Mapping

from app.tools._html import html_to_markdown
from app.tools._support import WorkspaceTool, arg_str
from app.tools.base import DisplayKind, Risk, ToolContext, ToolDisplay, ToolResult, cap_text, failed, ok
from app.tools.registry import register_tool
from app.tools.workspace import Workspace

FETCH_TIMEOUT_S = 15.0
MAX_PAGE_BYTES = 3_000_000


def _fetch(url: str) -> str:
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "Hearth/0.1 (docs reader)"})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310 - http(s) only
        data = response.read(MAX_PAGE_BYTES)
        charset = response.headers.get_content_charset() or "utf-8"
    return data.decode(charset, errors="replace")


@register_tool
class ReadPage(WorkspaceTool):
    name = "read_page"
    description = ("Read a web page (http/https URL) or an HTML file of the workspace as Markdown, without "
                   "scripts, styles or navigation. For documentation lookups.")
    parameters = {
        "type": "object",
        "properties": {"source": {"type": "string", "minLength": 1, "description": "URL or workspace file."}},
        "required": ["source"],
        "additionalProperties": False,
    }
    risk = Risk.READ

    def notice(self, args: Mapping[str, object]) -> str:
        source = arg_str(args, "source")
        return f"Reading {source.split('://', 1)[-1].split('/', 1)[0] if '://' in source else source}…"

    def run(self, args: Mapping[str, object], ctx: ToolContext) -> ToolResult:
        source = arg_str(args, "source").strip()
        if "://" not in source:
            return super().run(args, ctx)  # a workspace file
        if not source.startswith(("http://", "https://")):
            return failed("", self.name, "only http:// and https:// addresses can be read.")
        if ctx.offline:
            return failed("", self.name, "Hearth is offline (network off in settings), so web pages cannot be "
                                         "read; ask the user to turn the network on, or read a local copy.")
        try:
            html = _fetch(source)
        except Exception as exc:  # noqa: BLE001 - URLError, HTTPError, timeouts, bad TLS: all "could not fetch"
            return failed("", self.name, f"could not fetch {source}: {exc}")
        return self._page(source, html, ctx)

    def act(self, args: Mapping[str, object], ctx: ToolContext, ws: Workspace) -> ToolResult:
        path = arg_str(args, "source")
        html, _ = ws.read_text(path, MAX_PAGE_BYTES)
        return self._page(path, html, ctx)

    def _page(self, source: str, html: str, ctx: ToolContext) -> ToolResult:
        title, markdown = html_to_markdown(html)
        body = cap_text(markdown or "(the page has no readable text)", ctx.max_output_chars)
        head = f"{title} ({source})" if title else source
        return ok("", self.name, f"{head}:\n{body}", ToolDisplay(DisplayKind.TEXT, body, head))
