"""Conversations on disk: ``<data>/conversations/<id>/`` holds ``meta.json`` (written atomically), ``transcript.jsonl``
(append-only, one complete message per line, flushed and fsync'd), ``images/`` (pictures the messages showed) and
``kv.safetensors`` (the compressed prompt cache, written atomically by the engine when the conversation is idle).

A crash loses at most the message in flight. A damaged transcript line is skipped and named; the rest is kept.
Writes that fail (full disk, read-only folder) are kept in memory and retried with the next write.
Session thread only (one writer per conversation).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from models.base import ChatMessage, ImageInput, Message, Speaker
from models.manifest import write_json_atomic
from models.tool_format import AssistantToolCalls, FunctionCall, ToolReply

TRANSCRIPT = "transcript.jsonl"
META = "meta.json"
KV_FILE = "kv.safetensors"


def new_conversation_id() -> str:
    """Sortable by creation time, unique without coordination."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]


def new_message_id() -> str:
    return uuid.uuid4().hex[:12]


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _mtime_iso(path: Path) -> str:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
    except OSError:
        return ""


@dataclass(frozen=True)
class ConversationInfo:
    conversation_id: str
    title: str = ""
    created_at: str = ""
    updated_at: str = ""
    system: str = ""  # the conversation's own system prompt ("" = the mode's / settings' default)

    @property
    def label(self) -> str:
        return self.title or f"Conversation of {self.created_at[:16].replace('T', ' ')}"


@dataclass(frozen=True)
class LoadedConversation:
    info: ConversationInfo
    messages: tuple[Message, ...]
    problems: tuple[str, ...] = ()  # damaged lines skipped, named for the user


class ConversationError(Exception):
    """A conversation could not be read or written; ``str()`` is for the user."""


def _fsync_append(path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(lines))
        f.flush()
        os.fsync(f.fileno())


class ConversationStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._pending: dict[str, list[str]] = {}  # lines not yet on disk, per conversation

    # ------------------------------------------------------------------------------------------------- paths
    def folder(self, conversation_id: str) -> Path:
        if not conversation_id or "/" in conversation_id or conversation_id.startswith("."):
            raise ConversationError(f"“{conversation_id}” is not a conversation id.")
        return self.root / conversation_id

    def kv_path(self, conversation_id: str) -> Path:
        return self.folder(conversation_id) / KV_FILE

    # ----------------------------------------------------------------------------------------------- writing
    def create(self, system: str = "", title: str = "") -> ConversationInfo:
        info = ConversationInfo(new_conversation_id(), title, _now_iso(), _now_iso(), system)
        try:
            (self.folder(info.conversation_id) / "images").mkdir(parents=True, exist_ok=True)
            self._write_meta(info)
        except OSError as exc:
            raise ConversationError(f"Cannot save conversations in {self.root}: {exc.strerror or exc}. "
                                    "The conversation stays in memory until it can be written.") from exc
        return info

    def _write_meta(self, info: ConversationInfo) -> None:
        write_json_atomic(self.folder(info.conversation_id) / META, {
            "id": info.conversation_id, "title": info.title, "created_at": info.created_at,
            "updated_at": info.updated_at, "system": info.system})

    def append(self, conversation_id: str, message: Message) -> None:
        """Append one complete message (fsync'd). Raises ConversationError when it cannot be written now; the
        message is kept and written with the next append that succeeds (nothing is lost or reordered)."""
        pending = self._pending.setdefault(conversation_id, [])
        pending.append(json.dumps(self._record(conversation_id, message), ensure_ascii=False) + "\n")
        folder = self.folder(conversation_id)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _fsync_append(folder / TRANSCRIPT, pending)
            pending.clear()
        except OSError as exc:
            raise ConversationError(f"Could not save the conversation ({exc.strerror or exc}); it is kept in "
                                    f"memory and will be written once {folder} is writable.") from exc

    def _record(self, conversation_id: str, message: Message) -> dict[str, object]:
        base: dict[str, object] = {"id": message.message_id or new_message_id(), "t": _now_iso()}
        if isinstance(message, ToolReply):
            return {**base, "role": "tool", "call_id": message.call_id, "name": message.name, "text": message.content}
        if isinstance(message, AssistantToolCalls):
            calls = [{"id": c.call_id, "name": c.name, "arguments": dict(c.arguments)} for c in message.calls]
            return {**base, "role": "assistant", "text": message.text, "tool_calls": calls}
        return {**base, "role": message.speaker.value, "text": message.text,
                "images": [self._image_file(conversation_id, image) for image in message.images]}

    def _image_file(self, conversation_id: str, image: ImageInput) -> str:
        if image.path is not None:
            return str(image.path)
        from PIL import Image

        folder = self.folder(conversation_id) / "images"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{new_message_id()}.png"
        Image.fromarray(image.rgb).save(path)
        return str(path)

    def rename(self, conversation_id: str, title: str) -> ConversationInfo:
        info = replace(self.info(conversation_id), title=title.strip())
        self._write_meta(info)
        return info

    def delete(self, conversation_id: str) -> None:
        folder = self.folder(conversation_id)
        if folder.resolve().parent != self.root.resolve() or not (folder / META).exists():
            raise ConversationError(f"No conversation {conversation_id}.")
        shutil.rmtree(folder)

    # ----------------------------------------------------------------------------------------------- reading
    def info(self, conversation_id: str) -> ConversationInfo:
        path = self.folder(conversation_id) / META
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConversationError(f"No conversation {conversation_id}; `hearth conversations list` shows them.")
        except (OSError, ValueError) as exc:
            stamp = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
            meta = {"title": f"(damaged details: {exc})", "created_at": stamp, "updated_at": stamp}
        updated = max(str(meta.get("updated_at", "")), _mtime_iso(path.with_name(TRANSCRIPT)))  # the last message
        return ConversationInfo(conversation_id, str(meta.get("title", "")), str(meta.get("created_at", "")),
                                updated, str(meta.get("system", "")))

    def list(self) -> tuple[ConversationInfo, ...]:
        """Newest first."""
        if not self.root.is_dir():
            return ()
        found = [self.info(p.name) for p in self.root.iterdir() if (p / META).exists()]
        return tuple(sorted(found, key=lambda i: (i.updated_at, i.conversation_id), reverse=True))

    def latest(self) -> ConversationInfo | None:
        items = self.list()
        return items[0] if items else None

    def load(self, conversation_id: str) -> LoadedConversation:
        info = self.info(conversation_id)
        path = self.folder(conversation_id) / TRANSCRIPT
        messages: list[ChatMessage] = []
        problems: list[str] = []
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            lines = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                messages.append(_message(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                problems.append(f"{path.name} line {number} is damaged and was skipped: {line[:60]!r}")
        return LoadedConversation(info, tuple(messages), tuple(problems))

    def export_markdown(self, conversation_id: str) -> str:
        loaded = self.load(conversation_id)
        out = [f"# {loaded.info.label}", ""]
        for m in loaded.messages:
            out += _markdown(m) + [""]
        return "\n".join(out)


def _markdown(m: Message) -> list[str]:
    if isinstance(m, ToolReply):
        return [f"*{m.name or 'tool'} result:*", "```", m.content, "```"]
    if isinstance(m, AssistantToolCalls):
        return [f"**Hearth:** {m.text}".rstrip()] + [f"*calls {c.name}({json.dumps(dict(c.arguments))})*"
                                                       for c in m.calls]
    who = {Speaker.USER: "You", Speaker.ASSISTANT: "Hearth"}.get(m.speaker, m.speaker.value)
    return [f"**{who}:** {m.text}"] + [f"![image]({img.path})" for img in m.images]


def _message(record: dict[str, object]) -> Message:
    if record["role"] == "tool":
        return ToolReply(str(record["call_id"]), str(record["name"]), str(record["text"]), str(record["id"]))
    if "tool_calls" in record:
        calls = tuple(FunctionCall(str(c["name"]), dict(c["arguments"]), str(c["id"]))  # type: ignore[index]
                      for c in record["tool_calls"])  # type: ignore[union-attr]
        return AssistantToolCalls(str(record["text"]), calls, str(record["id"]))
    speaker = Speaker(str(record["role"]))
    images = tuple(ImageInput(path=Path(str(p))) for p in record.get("images", []) or [] if Path(str(p)).exists())
    return ChatMessage(speaker, str(record["text"]), images, message_id=str(record["id"]))
