"""A typed chat transcript, replaced whole on every change (never edited in place)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from models.base import ChatMessage, ChatRequest, ImageInput, SamplingParams, Speaker

DEFAULT_SYSTEM = (
    "You are Hearth, a helpful assistant running entirely on the user's computer. "
    "Answer concisely and conversationally."
)


CHARS_PER_TOKEN = 4  # a conservative estimate for English text with BPE tokenizers
IMAGE_TOKENS = 300  # a downscaled frame costs a few hundred tokens in Qwen-VL models


def estimate_tokens(message: ChatMessage) -> int:
    return len(message.text) // CHARS_PER_TOKEN + 4 + IMAGE_TOKENS * len(message.images)


@dataclass(frozen=True)
class Transcript:
    messages: tuple[ChatMessage, ...] = ()
    system: str = DEFAULT_SYSTEM

    def with_user(self, text: str, images: tuple[ImageInput, ...] = (), message_id: str = "") -> "Transcript":
        return self.with_message(ChatMessage(Speaker.USER, text, images, message_id))

    def with_reply(self, text: str, message_id: str = "") -> "Transcript":
        return self.with_message(ChatMessage(Speaker.ASSISTANT, text, message_id=message_id))

    def with_message(self, message: ChatMessage) -> "Transcript":
        return replace(self, messages=self.messages + (message,))

    @property
    def last(self) -> ChatMessage:
        return self.messages[-1]

    def cleared(self) -> "Transcript":
        return replace(self, messages=())

    def request(self, sampling: SamplingParams = SamplingParams()) -> ChatRequest:
        """The model's input. Only the newest message with images keeps them: older pictures are not re-read
        every turn (their words stay)."""
        last_with_images = max((i for i, m in enumerate(self.messages) if m.images), default=-1)
        messages = tuple(m if i == last_with_images or not m.images else replace(m, images=())
                         for i, m in enumerate(self.messages))
        system = (ChatMessage(Speaker.SYSTEM, self.system),) if self.system else ()
        return ChatRequest(system + messages, sampling)

    def trimmed(self, max_tokens: int) -> tuple["Transcript", int]:
        """When the estimate outgrows ``max_tokens``, drop the oldest whole messages down to three quarters of it
        (never cutting inside a message and never the newest one), so that the prompt cache is rebuilt once in a
        while, not on every turn; returns the new transcript and how many messages were dropped."""
        messages = self.messages
        budget = max_tokens - len(self.system) // CHARS_PER_TOKEN
        total = sum(estimate_tokens(m) for m in messages)
        if total <= budget:
            return self, 0
        while len(messages) > 1 and total > budget * 3 // 4:
            total -= estimate_tokens(messages[0])
            messages = messages[1:]
        return replace(self, messages=messages), len(self.messages) - len(messages)
