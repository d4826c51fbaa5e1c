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

    def with_user(self, text: str, images: tuple[ImageInput, ...] = ()) -> "Transcript":
        return replace(self, messages=self.messages + (ChatMessage(Speaker.USER, text, images),))

    def with_reply(self, text: str) -> "Transcript":
        return replace(self, messages=self.messages + (ChatMessage(Speaker.ASSISTANT, text),))

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
        """Drop the oldest whole messages until the estimate fits (never cutting inside a message and never the
        newest one); returns the new transcript and how many messages were dropped."""
        messages = self.messages
        budget = max_tokens - len(self.system) // CHARS_PER_TOKEN
        while len(messages) > 1 and sum(estimate_tokens(m) for m in messages) > budget:
            messages = messages[1:]
        return replace(self, messages=messages), len(self.messages) - len(messages)
