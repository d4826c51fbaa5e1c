"""Cut a streaming LLM reply into speakable clauses, as early as natural breaks allow.

Feed text deltas to :class:`ClauseSegmenter` as tokens arrive; it returns every clause that is complete, and
:meth:`ClauseSegmenter.flush` returns the rest at the end of the reply. The first clause is cut at the first natural
break (a comma or sentence end after a word or two) so that speech can start while the model is still writing; later
clauses are sentence-sized (short sentences merge, long ones split at a comma, or at a space past ``max_chars``).
Each line of a list is its own clause; a fenced code block becomes one short spoken mention. The text of every
clause is passed through :func:`app.speech.normalize.speakable`; ``raw`` keeps the model's own text for the history.

Pure Python, no I/O, no threads: the engine or the conversation drives it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from app.speech.normalize import NON_FINAL_ABBREVIATIONS, speakable


class ClauseKind(enum.Enum):
    TEXT = "text"
    CODE = "code"  # a fenced code block, spoken as a short mention


@dataclass(frozen=True)
class Clause:
    index: int  # 0, 1, 2 ... within one reply
    text: str  # what the voice says
    raw: str  # the model's text this clause stands for (markdown, code and all)
    kind: ClauseKind = ClauseKind.TEXT


@dataclass(frozen=True)
class SegmenterConfig:
    first_min_chars: int = 2  # a first clause may be as short as "Hi,"
    first_max_chars: int = 80  # ... and is cut at a space past this when no punctuation comes
    min_chars: int = 16  # later sentences shorter than this merge with the next one
    max_chars: int = 200  # a longer run without a sentence end is split at a comma, else a space


class Break(enum.IntEnum):
    CLAUSE = 1  # , ; : — ...
    SENTENCE = 2  # . ! ?
    LINE = 3  # a newline: list items, headings, paragraphs


_CLOSERS = "\"')]}*_”’»"
_LANGUAGES = {
    "py": "Python", "python": "Python", "js": "JavaScript", "javascript": "JavaScript", "ts": "TypeScript",
    "typescript": "TypeScript", "sh": "shell", "bash": "shell", "zsh": "shell", "shell": "shell",
    "console": "shell", "c": "C", "cpp": "C++", "c++": "C++", "rs": "Rust", "rust": "Rust", "go": "Go",
    "java": "Java", "swift": "Swift", "rb": "Ruby", "ruby": "Ruby", "sql": "SQL", "html": "HTML", "css": "CSS",
    "json": "JSON", "yaml": "YAML", "yml": "YAML", "toml": "TOML", "kotlin": "Kotlin", "php": "PHP",
}
_OPEN_FENCE = re.compile(r"(?m)^[ \t]{0,3}(```+|~~~+)[ \t]*([^\n`]*)\n")
_PARTIAL_FENCE = re.compile(r"(?:^|\n)([ \t]{0,3}(?:`{1,2}|~{1,2}|(?:```|~~~)[^\n]*))\Z")
_BREAK_CHARS = re.compile(r"[.!?;:,\n—…]")


def code_mention(info: str) -> str:
    """What the voice says instead of reading a code block."""
    word = info.strip().split(" ")[0].lower() if info.strip() else ""
    lang = _LANGUAGES.get(word, "")
    return f"See the {lang} code on screen." if lang else "See the code on screen."


def _prev_word(text: str, end: int) -> str:
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:end].lstrip(_CLOSERS + "([{\"'")


def _period_ends_sentence(text: str, dot: int, after: int) -> bool | None:
    """Whether the "." at ``dot`` ends a sentence; None while the next word has not arrived yet."""
    word = _prev_word(text, dot)
    line_start = text.rfind("\n", 0, dot) + 1
    if word.isdigit() and text[line_start:dot].strip() == word:
        return False  # "1." list marker
    if word.lower() in NON_FINAL_ABBREVIATIONS or (len(word) == 1 and word.isupper()):
        return False  # "Dr.", "e.g.", "J. K. Rowling"
    if word.lower() == "etc":
        rest = text[after:].lstrip(" \t")
        if not rest:
            return None
        return rest[0].isupper() or rest[0] == "\n"
    return True


def _breaks(text: str, final: bool) -> list[tuple[int, Break]]:
    """Confirmed break positions (end index, kind): punctuation followed by whitespace, and newlines."""
    found: list[tuple[int, Break]] = []
    for m in _BREAK_CHARS.finditer(text):
        i, ch = m.start(), m.group(0)
        if ch == "\n":
            found.append((i + 1, Break.LINE))
            continue
        if ch == "." and text.startswith(".", i + 1):
            continue  # inside "...": decide at its last dot
        end = i + 1
        while end < len(text) and text[end] in _CLOSERS:
            end += 1
        if end == len(text):
            if final:
                found.append((end, Break.SENTENCE))
            continue
        if not text[end].isspace():
            continue  # "3.14", "e.g.x", "https://a.b", "1,000"
        kind = _kind(text, i, end, ch)
        if kind is not None:
            found.append((end, kind))
    return found


def _kind(text: str, i: int, end: int, ch: str) -> Break | None:
    if ch in "!?":
        return Break.SENTENCE
    if ch == ".":
        if i >= 2 and text[i - 2 : i] == "..":
            return Break.CLAUSE
        ends = _period_ends_sentence(text, i, end)
        return Break.SENTENCE if ends else None
    if ch == ":" and _prev_word(text, i).isdigit():
        return None
    return Break.CLAUSE


def _forced_cut(text: str, limit: int, breaks: list[tuple[int, Break]]) -> int:
    """Where to split a run longer than ``limit``: the last comma before it, else the last space, else at it."""
    clause_ends = [end for end, _ in breaks if end <= limit]
    if clause_ends and clause_ends[-1] >= limit // 3:
        return clause_ends[-1]
    space = text.rfind(" ", limit // 3, limit + 1)
    return space + 1 if space > 0 else limit


class ClauseSegmenter:
    """Stateful wrapper over the pure cutting rules: ``feed(delta) -> [Clause]``, ``flush() -> [Clause]``."""

    def __init__(self, config: SegmenterConfig = SegmenterConfig(), start_index: int = 0) -> None:
        self.config = config
        self._buf = ""
        self._code_info: str | None = None  # inside a fenced block: its info string
        self._code_raw = ""
        self._index = start_index
        self._orphan_raw = ""  # raw text that had nothing to say, carried into the next clause

    def feed(self, delta: str) -> list[Clause]:
        self._buf += delta
        return self._drain(final=False)

    @property
    def pending_text(self) -> str:
        """The text fed but not yet cut into a clause (an open code block included)."""
        return (self._code_raw + self._buf) if self._code_info is not None else self._buf

    def flush(self) -> list[Clause]:
        """The rest of the reply (call once at the end); the segmenter is then empty and reusable."""
        out = self._drain(final=True)
        if self._code_info is not None:
            out += self._emit_code(self._code_raw + self._buf)
        self._buf, self._code_info, self._code_raw, self._orphan_raw = "", None, "", ""
        self._index = 0
        return out

    def _drain(self, final: bool) -> list[Clause]:
        out: list[Clause] = []
        while True:
            if self._code_info is not None:
                if not self._consume_code(out):
                    return out
                continue
            fence = _OPEN_FENCE.search(self._buf)
            head_end = fence.start() if fence else len(self._buf)
            if not fence and not final:
                partial = _PARTIAL_FENCE.search(self._buf)
                head_end = partial.start(1) if partial else head_end
            head, tail = self._buf[:head_end], self._buf[head_end:]
            rest = self._cut_text(head, final or fence is not None, out)
            if fence is None:
                self._buf = rest + tail
                return out
            self._code_info, self._code_raw = fence.group(2), fence.group(0)
            self._buf = self._buf[fence.end() :]

    def _consume_code(self, out: list[Clause]) -> bool:
        """Swallow a fenced block; True once its closing fence was found."""
        close = re.search(r"(?m)^[ \t]{0,3}(```+|~~~+)[ \t]*(?:\n|$(?![\s\S]))", self._buf)
        if close is None or (close.end() == len(self._buf) and not self._buf.endswith("\n")):
            keep = self._buf.rfind("\n") + 1
            self._code_raw += self._buf[:keep]
            self._buf = self._buf[keep:]
            return False
        out += self._emit_code(self._code_raw + self._buf[: close.end()])
        self._buf = self._buf[close.end() :]
        self._code_info = None
        return True

    def _emit_code(self, raw: str) -> list[Clause]:
        info = self._code_info or ""
        self._code_info = None
        raw, self._orphan_raw = self._orphan_raw + raw, ""
        return [self._make(code_mention(info), raw, ClauseKind.CODE)]

    def _cut_text(self, text: str, final: bool, out: list[Clause]) -> str:
        """Append every complete clause of ``text`` to ``out``; return what is left."""
        while text:
            cut = self._next_cut(text, final)
            if cut is None:
                return text
            raw, text = text[:cut], text[cut:]
            spoken = speakable(raw)
            if spoken:
                out.append(self._make(spoken, self._orphan_raw + raw, ClauseKind.TEXT))
                self._orphan_raw = ""
            else:
                self._orphan_raw += raw
        return text

    def _next_cut(self, text: str, final: bool) -> int | None:
        cfg, first = self.config, self._index == 0
        min_len, limit = (cfg.first_min_chars, cfg.first_max_chars) if first else (cfg.min_chars, cfg.max_chars)
        breaks = _breaks(text, final)
        for end, kind in breaks:
            size = len(text[:end].strip())
            if end > limit and size > limit:
                break
            if kind == Break.LINE and size > 0 or kind == Break.SENTENCE and size >= min_len:
                return end
            if kind == Break.CLAUSE and first and size >= min_len and speakable(text[:end]):
                return end
        if len(text) > limit:
            return _forced_cut(text, limit, [b for b in breaks if b[1] >= Break.CLAUSE])
        return len(text) if final else None

    def _make(self, text: str, raw: str, kind: ClauseKind) -> Clause:
        clause = Clause(self._index, text, raw, kind)
        self._index += 1
        return clause


def segment(text: str, config: SegmenterConfig = SegmenterConfig()) -> list[Clause]:
    """All clauses of a complete text (the same cuts the streaming segmenter makes when fed it at once)."""
    seg = ClauseSegmenter(config)
    return seg.feed(text) + seg.flush()


def cut_clauses(pending: str, first: bool, final: bool) -> tuple[tuple[str, ...], str]:
    """The pure form the conversation loop uses (its ``ClauseCutter``): the speakable clauses complete in
    ``pending`` and the text left over, to be passed back with the next delta. ``first``: no clause of this reply
    has been cut yet (so the early first-clause rule applies); ``final``: the reply is complete."""
    seg = ClauseSegmenter(start_index=0 if first else 1)
    clauses = seg.feed(pending)
    if final:
        return tuple(c.text for c in clauses + seg.flush()), ""
    return tuple(c.text for c in clauses), seg.pending_text
