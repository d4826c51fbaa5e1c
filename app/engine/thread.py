"""The engine thread: the only thread that touches MLX (invariant 4).

Other threads ``submit`` typed requests (app/engine/messages.py); the engine runs them in priority order and reports typed
events to ``sink`` (called on the engine thread: the sink must only hand the event over, e.g. a queue put or a Qt
signal emit). A generation is a generator stepped one token at a time; between two steps every pending request of a
higher priority runs first, and a cancelled turn's generation is dropped before its next step.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import traceback
from typing import Any, Callable

from app.engine.messages import (
    Cancel,
    Cancelled,
    EngineEvent,
    EngineRequest,
    EngineStopped,
    ErrorEvent,
    Generate,
    LoadCache,
    LoadModel,
    ModelLoadFailed,
    Priority,
    SaveCache,
    Shutdown,
    Synthesize,
    Transcribe,
)
from app.engine.jobs import CHAT_ROLES, GenerationJob, ModelSlots, load_into, run_synthesis, run_transcription
from app.engine.live_cache import LiveCache
from app.engine.snapshots import load_live, save_live
from models.base import ChatModel, ModelError, Role
from models.mlx_memory import tune_allocator

log = logging.getLogger(__name__)

Sink = Callable[[EngineEvent], None]
MAX_LIVE = 2  # live prompt caches kept in memory (the current conversation and the one before)
CacheFactory = Callable[[ChatModel], list[Any]]


def default_cache_factory(model: ChatModel) -> list[Any]:
    return model.make_prompt_cache()


class Engine:
    def __init__(
        self,
        sink: Sink,
        loader: Callable[[tuple[Role, ...], str], Any],
        cache_factory: CacheFactory = default_cache_factory,
    ) -> None:
        self._sink = sink
        self._slots = ModelSlots(loader)
        self._cache_factory = cache_factory
        self._cache_label = str(getattr(cache_factory, "label", "plain"))
        self._heap: list[tuple[int, int, EngineRequest]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._cancelled: set[int] = set()
        self._job: GenerationJob | None = None
        self._live: dict[str, LiveCache] = {}  # conversation id -> its live prompt cache (most recent last)
        self._running = False
        self._stopping = threading.Event()  # set by stop() from any thread: long work ends at its next chunk
        self._thread = threading.Thread(target=self._run, name="hearth-engine", daemon=True)
        self._handlers: dict[type, Callable[[Any], None]] = {
            LoadModel: self._on_load,
            Generate: self._on_generate,
            Transcribe: self._on_transcribe,
            Synthesize: self._on_synthesize,
            SaveCache: self._on_save_cache,
            LoadCache: self._on_load_cache,
            Cancel: self._on_cancel,
            Shutdown: self._on_shutdown,
        }

    # ------------------------------------------------------------------------------------------ any thread
    def start(self) -> "Engine":
        self._running = True
        self._thread.start()
        return self

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def submit(self, request: EngineRequest) -> None:
        with self._cond:
            heapq.heappush(self._heap, (int(request.priority), next(self._seq), request))
            self._cond.notify()

    def cancel(self, turn_id: int) -> None:
        """Drop all work of ``turn_id``: takes effect before the running generation's next token."""
        with self._cond:
            self._cancelled.add(turn_id)
        self.submit(Cancel(turn_id))

    def is_cancelled(self, turn_id: int) -> bool:
        with self._cond:
            return turn_id in self._cancelled

    def stop(self, timeout: float = 10.0) -> bool:
        """Ask the engine to finish (queued snapshot saves first, then shutdown) and wait up to ``timeout``;
        a running generation or speech ends at its next step. False when the thread is still busy (e.g. inside a
        model load, which cannot be interrupted)."""
        self._stopping.set()
        if self._thread.is_alive():
            self.submit(Shutdown())
            self._thread.join(timeout)
        return not self._thread.is_alive()

    # ----------------------------------------------------------------------------------------- engine thread
    def _run(self) -> None:
        try:
            tune_allocator()
        except Exception:  # noqa: BLE001 - a default allocator is slower, not wrong
            log.warning("could not set MLX's buffer cache limit", exc_info=True)
        while self._running:
            request = self._next_request(block=self._job is None)
            if request is not None:
                self._dispatch(request)
            elif self._job is not None:
                self._step()
        self._slots.clear()
        self._sink(EngineStopped())

    def _next_request(self, block: bool) -> EngineRequest | None:
        """The most urgent request; while a generation runs, other generations wait for it to finish."""
        with self._cond:
            while True:
                if self._heap and (self._job is None or self._heap[0][0] < Priority.GENERATE):
                    return heapq.heappop(self._heap)[2]
                if not block:
                    return None
                self._cond.wait()

    def _dispatch(self, request: EngineRequest) -> None:
        if not isinstance(request, (Cancel, Shutdown)) and self.is_cancelled(request.turn_id):
            return  # stale work of a cancelled turn
        try:
            self._handlers[type(request)](request)
        except ModelError as exc:
            self._sink(ErrorEvent(str(exc), turn_id=request.turn_id))
        except Exception as exc:  # noqa: BLE001 - an engine must survive any request
            # the type and turn only: a request can hold the whole conversation, which must never reach a log
            log.exception("engine request failed: %s (turn %s)", type(request).__name__, request.turn_id)
            name = type(request).__name__
            self._sink(ErrorEvent(f"{name} failed: {exc}", turn_id=request.turn_id, detail=traceback.format_exc()))

    def _step(self) -> None:
        job = self._job
        assert job is not None
        if self.is_cancelled(job.turn_id) or self._stopping.is_set():
            self._drop_job()
            return
        try:
            events = job.step()
            if self.is_cancelled(job.turn_id):  # cancelled while this step ran: nothing of it is shown
                events = []
            for event in events:
                self._sink(event)
        except Exception as exc:  # noqa: BLE001
            log.exception("generation failed")
            msg = str(exc) if isinstance(exc, ModelError) else f"Generation failed: {exc}"
            self._sink(ErrorEvent(msg, turn_id=job.turn_id, detail=traceback.format_exc()))
            job.fail()
        if job.done:
            self._drop_job()

    def _drop_job(self) -> None:
        job, self._job = self._job, None
        if job is not None and not job.done:
            job.close()

    # ---------------------------------------------------------------------------------------------- handlers
    def _on_load(self, req: LoadModel) -> None:
        if req.role in CHAT_ROLES:
            self._live.clear()  # another model: conversations are prefilled again from their transcripts
        try:
            self._sink(load_into(self._slots, req))
        except ModelError as exc:
            self._sink(ModelLoadFailed(req.role, req.model_id, str(exc)))
            raise

    def live_cache(self, conversation_id: str) -> LiveCache:
        """The conversation's live cache (engine thread), made on first use; at most MAX_LIVE are kept."""
        model = self._slots.chat()
        live = self._live.pop(conversation_id, None) if conversation_id else None
        if live is None or live.model is not model:
            live = LiveCache(model, self._cache_factory)
        if conversation_id:
            self._live[conversation_id] = live
            while len(self._live) > MAX_LIVE:
                self._live.pop(next(iter(self._live)))
        return live

    def _on_generate(self, req: Generate) -> None:
        model = self._slots.chat()
        self._job = GenerationJob(req.turn_id, model, req.request, self.live_cache(req.conversation_id))

    def _on_save_cache(self, req: SaveCache) -> None:
        live = self._live.get(req.conversation_id)
        if live is not None and live.tokens and (self._job is None or self._job.live is not live):
            self._sink(save_live(live, req, self._cache_label))

    def _on_load_cache(self, req: LoadCache) -> None:
        self._sink(load_live(self.live_cache(req.conversation_id), req, self._cache_label))

    def _on_transcribe(self, req: Transcribe) -> None:
        self._sink(run_transcription(self._slots.stt(), req))

    def _on_synthesize(self, req: Synthesize) -> None:
        for chunk in run_synthesis(self._slots.tts(), req):
            if self.is_cancelled(req.turn_id) or self._stopping.is_set():
                return
            self._sink(chunk)

    def _on_cancel(self, req: Cancel) -> None:
        if self._job is not None and self._job.turn_id == req.turn_id:
            self._drop_job()
        self._sink(Cancelled(req.turn_id))

    def _on_shutdown(self, _req: Shutdown) -> None:
        self._running = False
        self._drop_job()
