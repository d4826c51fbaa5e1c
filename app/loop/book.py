"""The session's conversations (session thread only): which one is open, saving each message as it completes,
the KV snapshot when it goes idle, and the list / new / open / rename / delete intents of the front ends."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Callable

from app.conversations.store import ConversationError, ConversationInfo, ConversationStore, LoadedConversation
from app.engine.messages import ErrorEvent, LoadCache, SaveCache
from app.loop.events import ConversationList, ConversationOpened, Notice
from models.base import ChatMessage


class Start(enum.Enum):
    NEW = "new"
    LATEST = "latest"  # the last conversation (a new one when there is none)
    EPHEMERAL = "ephemeral"  # nothing saved (one-shot prompts, tests)


@dataclass(frozen=True)
class ConversationChoice:
    start: Start = Start.LATEST
    conversation_id: str = ""  # resume exactly this one (overrides ``start``)
    system: str = ""  # a new conversation's own system prompt


class ConversationBook:
    def __init__(self, store: ConversationStore | None, publish: Callable[[Any], None],
                 submit: Callable[[Any], None]) -> None:
        self.store = store
        self._publish, self._submit = publish, submit
        self.current = ConversationInfo("")
        self._unsaved_error = False
        self.dirty = False  # the live cache holds turns the snapshot on disk does not

    @property
    def saving(self) -> bool:
        return self.store is not None and bool(self.current.conversation_id)

    def open(self, choice: ConversationChoice) -> LoadedConversation:
        """Open (or create) the chosen conversation; queues its KV snapshot for loading."""
        if self.store is None or choice.start is Start.EPHEMERAL and not choice.conversation_id:
            self.current = ConversationInfo("")
            return LoadedConversation(self.current, ())
        try:
            loaded = self._choose(self.store, choice)
        except ConversationError as exc:
            self._publish(ErrorEvent(str(exc)))
            loaded = LoadedConversation(ConversationInfo(""), ())
        self.current = loaded.info
        self.dirty = False
        if self.saving and loaded.messages:
            self._submit(LoadCache(loaded.info.conversation_id, str(self.store.kv_path(loaded.info.conversation_id))))
        self._publish(ConversationOpened(loaded.info, loaded.messages, loaded.problems))
        for problem in loaded.problems:
            self._publish(Notice(problem))
        return loaded

    @staticmethod
    def _choose(store: ConversationStore, choice: ConversationChoice) -> LoadedConversation:
        if choice.conversation_id:
            return store.load(choice.conversation_id)
        latest = store.latest() if choice.start is Start.LATEST else None
        if latest is not None:
            return store.load(latest.conversation_id)
        return LoadedConversation(store.create(system=choice.system), ())

    def record(self, message: ChatMessage) -> None:
        self.dirty = True
        if not self.saving:
            return
        assert self.store is not None
        try:
            self.store.append(self.current.conversation_id, message)
            if self._unsaved_error:
                self._unsaved_error = False
                self._publish(Notice("The conversation is saved again."))
        except (ConversationError, OSError) as exc:
            if not self._unsaved_error:  # said once, not on every message
                self._unsaved_error = True
                self._publish(ErrorEvent(str(exc)))

    def save_cache(self) -> None:
        """Queue the KV snapshot (idle or exit); the engine skips it when it holds no cache for this one."""
        if self.saving and self.dirty:
            assert self.store is not None
            cid = self.current.conversation_id
            self._submit(SaveCache(cid, str(self.store.kv_path(cid))))
            self.dirty = False

    def listing(self) -> ConversationList:
        items = self.store.list() if self.store is not None else ()
        return ConversationList(items, self.current.conversation_id)

    def rename(self, conversation_id: str, title: str) -> None:
        if self.store is None:
            return
        try:
            info = self.store.rename(conversation_id, title)
        except ConversationError as exc:
            self._publish(ErrorEvent(str(exc)))
            return
        if conversation_id == self.current.conversation_id:
            self.current = info
        self._publish(self.listing())

    def delete(self, conversation_id: str) -> bool:
        """True when the open conversation was the one deleted (the session then starts a new one)."""
        if self.store is None:
            return False
        try:
            self.store.delete(conversation_id)
        except (ConversationError, OSError) as exc:
            self._publish(ErrorEvent(str(exc)))
            return False
        self._publish(self.listing())
        return conversation_id == self.current.conversation_id
