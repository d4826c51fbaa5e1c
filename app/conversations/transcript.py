"""A typed chat transcript, replaced whole on every change (never edited in place)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from models.base import ChatMessage, ChatRequest, ImageInput, Message, SamplingParams, Speaker
from models.tool_format import AssistantToolCalls, ToolReply, ToolSpec

DEFAULT_SYSTEM = (
    "You are Hearth, a helpful assistant running entirely on the user's computer. "
    "Answer concisely and conversationally."
)


CHARS_PER_TOKEN = 4  # a conservative estimate for English text with BPE tokenizers
IMAGE_TOKENS = 300  # a downscaled frame costs a few hundred tokens in Qwen-VL models


def estimate_tokens(message: Message) -> int:
    if isinstance(message, ToolReply):
        return len(message.content) // CHARS_PER_TOKEN + 8
    if isinstance(message, AssistantToolCalls):
        return len(message.text) // CHARS_PER_TOKEN + 8 + sum(len(str(c.arguments)) // CHARS_PER_TOKEN + 8
                                                                for c in message.calls)
    return len(message.text) // CHARS_PER_TOKEN + 4 + IMAGE_TOKENS * len(message.images)


@dataclass(frozen=True)
class Transcript:
    messages: tuple[Message, ...] = ()
    system: str = DEFAULT_SYSTEM

    def with_user(self, text: str, images: tuple[ImageInput, ...] = (), message_id: str = "") -> "Transcript":
        return self.with_message(ChatMessage(Speaker.USER, text, images, message_id))

    def with_reply(self, text: str, message_id: str = "") -> "Transcript":
        return self.with_message(ChatMessage(Speaker.ASSISTANT, text, message_id=message_id))

    def with_message(self, message: Message) -> "Transcript":
        return replace(self, messages=self.messages + (message,))


    def cleared(self) -> "Transcript":
        return replace(self, messages=())

    def request(self, sampling: SamplingParams = SamplingParams(), tools: tuple[ToolSpec, ...] = ()) -> ChatRequest:
        """The model's input (with the tools it may call). Only the newest message with images keeps them: older
        pictures are not re-read every turn (their words stay)."""
        def pictured(m: Message) -> bool:
            return isinstance(m, ChatMessage) and bool(m.images)

        last_with_images = max((i for i, m in enumerate(self.messages) if pictured(m)), default=-1)
        messages = tuple(replace(m, images=()) if pictured(m) and i != last_with_images else m
                         for i, m in enumerate(self.messages))
        system = (ChatMessage(Speaker.SYSTEM, self.system),) if self.system else ()
        return ChatRequest(system + messages, sampling, tools)

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
