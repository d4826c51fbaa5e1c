"""A typed chat transcript, replaced whole on every change (never edited in place)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from models.base import ChatMessage, ChatRequest, ImageInput, SamplingParams, Speaker

DEFAULT_SYSTEM = (
    "You are Hearth, a helpful assistant running entirely on the user's computer. "
    "Answer concisely and conversationally."
)


@dataclass(frozen=True)
class Transcript:
    messages: tuple[ChatMessage, ...] = ()
    system: str = DEFAULT_SYSTEM

    def with_user(self, text: str, images: tuple[ImageInput, ...] = ()) -> "Transcript":
        return replace(self, messages=self.messages + (ChatMessage(Speaker.USER, text, images),))

    def with_reply(self, text: str) -> "Transcript":
        return replace(self, messages=self.messages + (ChatMessage(Speaker.ASSISTANT, text),))

    def cleared(self) -> "Transcript":
        return replace(self, messages=())

    def request(self, sampling: SamplingParams = SamplingParams()) -> ChatRequest:
        system = (ChatMessage(Speaker.SYSTEM, self.system),) if self.system else ()
        return ChatRequest(system + self.messages, sampling)

    @property
    def image_count(self) -> int:
        return sum(len(m.images) for m in self.messages)
