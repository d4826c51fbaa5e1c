"""Fake adapters for engine tests: deterministic, gated token by token from the test thread."""

from __future__ import annotations

import threading
from typing import Any, Iterator

import numpy as np

from models.base import AudioPiece, ChatRequest, EncodedPrompt, ModelInfo, Role, SamplingParams, TokenPiece


class GatedChat:
    """Yields one token each time the test releases the gate; records how many steps ran and on which thread."""

    supports_images = False

    def __init__(self, tokens: int = 50) -> None:
        self.info = ModelInfo("fake-chat", Role.LLM, "fake")
        self.gate = threading.Semaphore(0)
        self.tokens = tokens
        self.steps = 0
        self.closed = False
        self.threads: set[str] = set()

    def make_prompt_cache(self) -> list[Any]:
        return []

    def encode(self, request: ChatRequest) -> EncodedPrompt:
        return EncodedPrompt((1, 2, 3))

    def prefill(self, prompt: EncodedPrompt, prompt_cache: list[Any], start: int, end: int) -> None:
        pass

    def position_state(self) -> Any:
        return None

    def set_position_state(self, state: Any) -> None:
        pass

    def generate(self, prompt: EncodedPrompt, prompt_cache: list[Any], start: int,
                 sampling: SamplingParams) -> Iterator[TokenPiece]:
        return self.stream(ChatRequest(()), prompt_cache)

    def stream(self, request: ChatRequest, prompt_cache: list[Any]) -> Iterator[TokenPiece]:
        try:
            for i in range(self.tokens):
                if not self.gate.acquire(timeout=10):
                    raise TimeoutError("test never released the gate")
                self.steps += 1
                self.threads.add(threading.current_thread().name)
                last = i == self.tokens - 1
                yield TokenPiece(f"t{i} ", i, 3, 100.0, 50.0, 0.1, "length" if last else None)
        finally:
            self.closed = True


class FakeTTS:
    sample_rate = 16000

    def __init__(self) -> None:
        self.info = ModelInfo("fake-tts", Role.TTS, "fake")

    def voices(self) -> tuple[str, ...]:
        return ("one",)

    def synthesize(self, text: str, voice: str | None, speed: float) -> Iterator[AudioPiece]:
        yield AudioPiece(np.full(160, 0.1, np.float32), self.sample_rate)


def fake_loader(models: dict[Role, Any]):
    def load(roles: tuple[Role, ...], model_id: str) -> Any:
        for role in roles:
            if role in models:
                return models[role]
        from models.base import ModelError

        raise ModelError(f"no fake for {roles}")

    return load
