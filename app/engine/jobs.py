"""What the engine thread runs: the model slots it owns, a token-stepped generation, STT and TTS calls."""

from __future__ import annotations

import time
from typing import Any, Callable, Iterator

import numpy as np

from app.engine.messages import (
    AudioChunk,
    GenerationDone,
    GenerationStats,
    LoadModel,
    ModelLoaded,
    Synthesize,
    TextDelta,
    Transcribe,
    TranscriptEvent,
)
from app.engine.live_cache import LiveCache
from models.tool_format import ParsedCall, ToolCallParser
from models.base import PREFILL_CHUNK, ChatModel, ChatRequest, ModelError, Role, SpeechToText, TextToSpeech, TokenPiece

CHAT_ROLES = (Role.VLM, Role.LLM)


class ModelSlots:
    """The loaded models, one per slot (chat, stt, tts). Engine thread only."""

    def __init__(self, loader: Callable[[tuple[Role, ...], str], Any]) -> None:
        self._loader = loader
        self._models: dict[str, Any] = {}

    @staticmethod
    def slot_of(role: Role) -> str:
        return "chat" if role in CHAT_ROLES else role.value

    def load(self, role: Role, model_id: str) -> Any:
        roles = CHAT_ROLES if role in CHAT_ROLES else (role,)
        adapter = self._loader(roles, model_id)
        slot = self.slot_of(role)
        self._models.pop(slot, None)  # free the old model before the new one counts
        self._models[slot] = adapter
        return adapter

    def _get(self, slot: str, what: str) -> Any:
        try:
            return self._models[slot]
        except KeyError:
            raise ModelError(f"No {what} model is loaded yet; load one first (e.g. `/model NAME`).") from None

    def chat(self) -> ChatModel:
        return self._get("chat", "chat")

    def stt(self) -> SpeechToText:
        return self._get("stt", "speech-to-text")

    def tts(self) -> TextToSpeech:
        return self._get("tts", "text-to-speech")

    def clear(self) -> None:
        """Free every model and this thread's MLX streams (mlx-vlm makes thread-local ones that must be
        released by the thread that owns them, or the process aborts at exit)."""
        self._models.clear()
        import mlx.core as mx

        clear_streams = getattr(mx, "clear_streams", None)
        if clear_streams is not None:
            clear_streams()


def load_into(slots: ModelSlots, req: LoadModel) -> ModelLoaded:
    t0 = time.perf_counter()
    adapter = slots.load(req.role, req.model_id)
    images = bool(getattr(adapter, "supports_images", False))
    return ModelLoaded(adapter.info.role, req.model_id, time.perf_counter() - t0, supports_images=images)


def cache_tokens_and_bytes(cache: list[Any]) -> tuple[int, int]:
    """Tokens held by the attention caches and bytes of all layer caches (for the memory panel)."""
    tokens = max((int(getattr(c, "offset", 0) or 0) for c in cache), default=0)
    total = 0
    for c in cache:
        try:
            total += int(c.nbytes)
        except (AttributeError, TypeError, ValueError):
            continue
    return tokens, total


class GenerationJob:
    """One reply being generated over a conversation's live cache; ``step()`` advances it by one prefill chunk
    (only the tokens the cache does not hold yet) or one generated token."""

    def __init__(self, turn_id: int, model: ChatModel, request: ChatRequest, live: LiveCache) -> None:
        self.turn_id = turn_id
        self.live = live
        self.done = False
        self._model, self._sampling = model, request.sampling
        self._t0 = time.perf_counter()
        self.prompt = model.encode(request)
        rebuilds = live.rebuilds
        self.reused = live.prepare(self.prompt)
        self._rebuilt = live.rebuilds > rebuilds
        self._at = self.reused
        end = len(self.prompt.tokens) - 1
        media = self.prompt.media_start
        self._end = end if media is None or self.reused > media else self.reused  # pixels: fed whole by generate
        self._pieces: Iterator[TokenPiece] | None = None
        self._ttft: float | None = None
        self._text: list[str] = []
        self._generated: list[int] = []
        self._last: TokenPiece | None = None
        self._calls: list[ParsedCall] = []
        fmt = model.tool_format() if request.tools else None
        self._parser = ToolCallParser(fmt, request.tools, id_prefix=f"t{turn_id}-") if fmt is not None else None

    @property
    def cache(self) -> list[Any]:
        return self.live.layers

    def step(self) -> list[Any]:
        if self._at < self._end:
            stable = self.prompt.stable if self._at < self.prompt.stable < self._end else self._end
            b = min(stable, self._at + PREFILL_CHUNK)
            self._model.prefill(self.prompt, self.live.layers, self._at, b)
            self._at = b
            self.live.fed(self.prompt.tokens[:b])
            if b == stable and self.live.needs_snapshots:  # the end of the messages (later turns render them the
                # same way) and the end of the prompt: a rewind goes back to the latest one it can use
                self.live.take_snapshot()
            return []
        if self._pieces is None:
            self._pieces = self._generate()
        return self._next_token()

    def _generate(self) -> Iterator[TokenPiece]:
        """The adapter's stream; a prompt with new pixels is fed whole by the adapter, which tells when the cache
        holds all but its last token, so the snapshot for later rewinds is taken there too."""
        if self._at == self._end and self.prompt.media_start is not None and self._at <= self.prompt.media_start \
                and self.live.needs_snapshots:
            def at_prompt_end(n: int) -> None:
                self.live.fed(self.prompt.tokens[:n])
                self.live.take_snapshot()

            return self._model.generate(self.prompt, self.live.layers, self._at, self._sampling, at_prompt_end)
        return self._model.generate(self.prompt, self.live.layers, self._at, self._sampling)

    def _next_token(self) -> list[Any]:
        assert self._pieces is not None
        try:
            piece = next(self._pieces)
        except StopIteration:
            self.close()
            tail = self._plain("", final=True)
            return ([TextDelta(self.turn_id, tail, len(self._generated))] if tail else []) + [self._finish("stop")]
        if self._ttft is None:
            self._ttft = time.perf_counter() - self._t0
        self._last = piece
        self._generated.append(piece.token)
        events: list[Any] = []
        reason = piece.finish_reason
        if reason is None and len(self._generated) >= self._sampling.max_tokens:
            reason = "length"  # the limit holds whatever the library does (mlx-vlm yields one token more)
        text = self._plain(piece.text, final=reason is not None)
        if text:
            self._text.append(text)
            events.append(TextDelta(self.turn_id, text, len(self._generated) - 1))
        if reason is not None:
            self.close()
            events.append(self._finish(reason))
        return events

    def _plain(self, text: str, final: bool) -> str:
        """The text to show and speak: tool-call markup is held back and parsed into calls."""
        if self._parser is None:
            return text
        out = self._parser.feed(text)
        parts, self._calls = [out.text], self._calls + list(out.calls)
        if final:
            end = self._parser.finish()
            parts.append(end.text)
            self._calls += list(end.calls)
        return "".join(parts)

    def close(self) -> None:
        """Finish the library's generator here, on the engine thread (its cleanup runs MLX code), and record what
        the cache now holds (a cancelled reply's tokens stay until the next turn rewinds them)."""
        if self.done:
            return
        self.done = True
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()
        self.live.fed(self.prompt.tokens[: self._at] if self._pieces is None
                      else self.prompt.tokens + tuple(self._generated))

    def fail(self) -> None:
        """The generation raised: the cache may be half-updated, so it starts over next turn."""
        self.done = True
        self.live.invalidate()

    def _finish(self, reason: str) -> GenerationDone:
        last = self._last
        tokens, nbytes = cache_tokens_and_bytes(self.cache)
        stats = GenerationStats(
            prompt_tokens=len(self.prompt.tokens),
            generated_tokens=len(self._generated),
            time_to_first_token_s=self._ttft or 0.0,
            tokens_per_second=last.generation_tps if last else 0.0,
            prompt_tokens_per_second=last.prompt_tps if last else 0.0,
            peak_memory_gb=last.peak_memory_gb if last else 0.0,
            kv_tokens=tokens,
            kv_bytes=nbytes,
            reused_tokens=self.reused,
            rebuilt_cache=self._rebuilt,
        )
        return GenerationDone(self.turn_id, "".join(self._text), stats, reason, tuple(self._calls))


def run_transcription(stt: SpeechToText, req: Transcribe) -> TranscriptEvent:
    pcm = np.asarray(req.pcm, dtype=np.float32)
    result = stt.transcribe(pcm, req.sample_rate, req.language) if req.language else stt.transcribe(pcm, req.sample_rate)
    return TranscriptEvent(req.turn_id, result.text.strip(), req.partial, len(pcm) / float(req.sample_rate))


def run_synthesis(tts: TextToSpeech, req: Synthesize) -> Iterator[AudioChunk]:
    """AudioChunks of one clause as the voice produces them, then an empty one with ``last=True``."""
    rate = tts.sample_rate
    for piece in tts.synthesize(req.text, req.voice, req.speed):
        rate = piece.sample_rate
        pcm = np.asarray(piece.pcm, dtype=np.float32).reshape(-1)
        yield AudioChunk(req.turn_id, req.clause_id, pcm, rate)
    yield AudioChunk(req.turn_id, req.clause_id, np.zeros(0, np.float32), rate, last=True)
