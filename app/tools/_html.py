"""HTML to clean Markdown for the model: the page's words and code, without scripts, styles, navigation,
sidebars, footers or forms. When the page marks its main content (<main>, role="main", <article>), only that is
kept. Built on the standard library's HTMLParser (tolerant of unclosed tags)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "nav", "footer", "aside", "form",
                          "iframe", "button", "select", "head", "canvas", "object", "dialog"})
SKIPPED_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "complementary", "menu"})
SKIPPED_CLASSES = frozenset({"sidebar", "sphinxsidebar", "navbar", "nav", "navigation", "breadcrumb",
                             "breadcrumbs", "footer", "headerlink", "toc", "related", "skip-link", "menu", "cookie", "src",
                             "copy-button", "anchor"})
VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "area", "base", "col", "embed", "source", "track",
                  "wbr", "param"})
BLOCKS = frozenset({"p", "div", "section", "article", "main", "header", "dl", "figure", "table", "ul", "ol",
                    "blockquote", "details", "summary", "dd", "dt", "caption", "address"})
MAIN_TAGS = frozenset({"main", "article"})


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.buf: list[str] = []
        self.stack: list[tuple[str, bool, int]] = []  # (tag, skipping, start index in buf)
        self.skip = 0
        self.pre = 0
        self.lists: list[list] = []  # [kind, counter]
        self.quote = 0
        self.bullet = ""
        self.main: list[tuple[int, int]] = []
        self.main_open: list[int] = []
        self.title: list[str] = []
        self.in_title = False
        self.row_cells = 0
        self.row_header = False
        self.table_sep_done: list[bool] = []
        self.links: list[str] = []
        self.fences: list[int] = []  # where each open <pre>'s fence is in buf

    # --- output helpers
    def _tail(self) -> str:
        return "".join(self.buf[-4:])[-2:] if self.buf else "\n\n"

    def _newline(self, n: int) -> None:
        if not self.buf:
            return
        have = len(self._tail()) - len(self._tail().rstrip("\n"))
        if have < n:
            self.buf.append("\n" * (n - have))

    def _emit(self, text: str) -> None:
        if self.skip or not text:
            return
        if self._tail().endswith("\n") or not self.buf:
            text = text.lstrip(" ") if not self.pre else text
            if not text:
                return
            text = "> " * self.quote + self.bullet + text
            self.bullet = ""
        self.buf.append(text)

    # --- parser callbacks
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "title":
            self.in_title = True
        if tag in VOID:
            self._void(tag, a)
            return
        skipping = tag in SKIPPED_TAGS or a.get("role") in SKIPPED_ROLES or bool(
            set(a.get("class", "").lower().split()) & SKIPPED_CLASSES) or a.get("aria-hidden") == "true"
        self.stack.append((tag, skipping, len(self.buf)))
        if skipping:
            self.skip += 1
        if self.skip:
            return
        if tag in MAIN_TAGS or a.get("role") == "main":
            self.main_open.append(len(self.buf))
        self._open(tag, a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if not any(t == tag for t, _, _ in self.stack):
            return
        while self.stack:
            open_tag, skipping, start = self.stack.pop()
            if skipping:
                self.skip -= 1
            elif not self.skip:
                self._close(open_tag, start)
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
            return
        if self.pre:
            self._emit(data)
        else:
            self._emit(re.sub(r"\s+", " ", data))

    # --- element handling
    def _void(self, tag: str, a: dict[str, str]) -> None:
        if tag == "br":
            self._emit("\n")
        elif tag == "hr":
            self._newline(2)
            self._emit("---")
            self._newline(2)
        elif tag == "img" and a.get("alt"):
            self._emit(f"[{a['alt'].strip()}]")

    def _open(self, tag: str, a: dict[str, str]) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self._newline(2)
            self._emit("#" * int(tag[1]) + " ")
        elif tag == "pre":
            self._newline(2)
            self.fences.append(len(self.buf))
            self._emit("```\n")
            self.pre += 1
        elif tag in ("ul", "ol"):
            self._newline(1 if self.lists else 2)
            self.lists.append([tag, 0])
        elif tag == "li":
            self._newline(1)
            kind = self.lists[-1] if self.lists else ["ul", 0]
            kind[1] += 1
            self.bullet = "  " * max(len(self.lists) - 1, 0) + ("- " if kind[0] == "ul" else f"{kind[1]}. ")
        elif tag == "blockquote":
            self._newline(2)
            self.quote += 1
        elif tag == "table":
            self._newline(2)
            self.table_sep_done.append(False)
        elif tag == "tr":
            self._newline(1)
            self._emit("| ")
            self.row_cells, self.row_header = 0, False
        elif tag in ("td", "th"):
            self.row_header |= tag == "th"
        elif tag in BLOCKS:
            self._newline(1 if self.lists else 2)  # a <p> inside a list item: no blank line
        elif tag == "code" and not self.pre:
            self._emit("`")
        elif tag in ("strong", "b"):
            self._emit("**")
        elif tag in ("em", "i"):
            self._emit("*")
        elif tag == "a":
            self.links.append(a.get("href", ""))

    def _close(self, tag: str, start: int) -> None:
        if re.fullmatch(r"h[1-6]", tag) or tag in BLOCKS - {"ul", "ol", "table", "blockquote"}:
            self._newline(1 if self.lists else 2)
        if tag in MAIN_TAGS and self.main_open:
            self.main.append((self.main_open.pop(), len(self.buf)))
        handler = _CLOSERS.get(tag)
        if handler is not None:
            handler(self, start)

    def _close_pre(self, start: int) -> None:
        self.pre = max(self.pre - 1, 0)
        fence = "```"
        at = self.fences.pop() if self.fences else -1
        if at >= 0 and "```" in "".join(self.buf[at + 1:]):
            fence = "````"  # the code itself holds a fence
            self.buf[at] = self.buf[at].replace("```", fence, 1)
        if not self._tail().endswith("\n"):
            self.buf.append("\n")
        self.buf.append(fence)
        self._newline(2)

    def _close_list(self, start: int) -> None:
        if self.lists:
            self.lists.pop()
        self._newline(1 if self.lists else 2)

    def _close_quote(self, start: int) -> None:
        self.quote = max(self.quote - 1, 0)
        self._newline(2)

    def _close_cell(self, start: int) -> None:
        self.row_cells += 1
        self._emit(" | ")

    def _close_row(self, start: int) -> None:
        if self.row_header and self.table_sep_done and not self.table_sep_done[-1]:
            self.table_sep_done[-1] = True
            self.buf.append("\n|" + " --- |" * max(self.row_cells, 1))
        self._newline(1)

    def _close_table(self, start: int) -> None:
        if self.table_sep_done:
            self.table_sep_done.pop()
        self._newline(2)

    def _close_link(self, start: int) -> None:
        href = self.links.pop() if self.links else ""
        text = "".join(self.buf[start:]).strip()
        if href.startswith("#") and not any(ch.isalnum() for ch in text):
            del self.buf[start:]  # a permalink mark (§, ¶, #) next to a heading
        elif text and href.startswith(("http://", "https://")):
            self.buf[start:] = [f"[{text}]({href})"]


def _inline(marker: str):
    def close(conv: _Converter, start: int) -> None:
        if not conv.pre:
            conv._emit(marker)
    return close


_CLOSERS = {
    "pre": _Converter._close_pre, "ul": _Converter._close_list, "ol": _Converter._close_list,
    "blockquote": _Converter._close_quote, "td": _Converter._close_cell, "th": _Converter._close_cell,
    "tr": _Converter._close_row, "table": _Converter._close_table, "a": _Converter._close_link,
    "code": _inline("`"), "strong": _inline("**"), "b": _inline("**"), "em": _inline("*"), "i": _inline("*"),
}


def html_to_markdown(html: str) -> tuple[str, str]:
    """(title, markdown)."""
    conv = _Converter()
    conv.feed(html)
    conv.close()
    if conv.main:
        start, end = max(conv.main, key=lambda r: r[1] - r[0])
        text = "".join(conv.buf[start:end])
    else:
        text = "".join(conv.buf)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    title = re.sub(r"\s+", " ", "".join(conv.title)).strip()
    return title, text
