"""Measurements on the real LM, run in a child process by test_real_lm.py; prints one JSON object.

    python tests/real/lm_worker.py MODEL_FOLDER

A child process so that MLX can use Debian's OpenBLAS (LD_PRELOAD, set by the test): ~20x faster matmuls here, which
keeps the perplexity runs to seconds. Each part reports an "error" string instead of raising, so one failure does not
hide the other results.

- ``continuation``: a known passage (the Zen of Python) through Hearth's engine + chat adapter with the plain cache,
  with the compressed cache, and through mlx-lm directly (its own load and stream_generate), greedy.
- ``perplexity``: the first ``PPL_TOKENS`` tokens of textwrap.py from this interpreter's standard library, scored in
  ``PPL_CHUNK``-token chunks through the adapter's model with the plain cache and with Hearth's compressed cache at
  the default bits (the cache factory of app/runtime.py).
"""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import math
import queue
import sys
import sysconfig
import time
import traceback
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

REPLY_TOKENS = 40
PPL_TOKENS = 1024  # > the 512-token sliding window, so the rotating caches wrap too
PPL_CHUNK = 256
PPL_FILE = "textwrap.py"
PROBES = ("The quick brown fox jumps over the", "import numpy as")


def zen_passage() -> str:
    with contextlib.redirect_stdout(io.StringIO()):  # importing `this` prints the Zen; its text is this.s, rot13
        import this

    lines = codecs.decode(this.s, "rot13").splitlines()
    return "\n".join(lines[:9])


def _part(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    t0 = time.perf_counter()
    try:
        out = fn()
    except Exception:  # reported, not raised: the test shows it
        out = {"error": traceback.format_exc()}
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def engine_reply(folder: Path, compressed: bool, passage: str) -> dict[str, Any]:
    """One greedy reply through Hearth's engine (its own thread, loader, cache factory) and chat adapter."""
    from app.engine.thread import default_cache_factory
    from app.engine.messages import ErrorEvent, Generate, GenerationDone, LoadModel, ModelLoaded
    from app.engine.runtime import make_engine
    from app.config.settings import Settings
    from models.base import ChatMessage, ChatRequest, Role, SamplingParams, Speaker

    events: queue.Queue[Any] = queue.Queue()
    engine = make_engine(events.put, Settings(), None if compressed else default_cache_factory).start()
    try:
        engine.submit(LoadModel(Role.LLM, str(folder)))
        request = ChatRequest((ChatMessage(Speaker.USER, passage),), SamplingParams(max_tokens=REPLY_TOKENS))
        engine.submit(Generate(1, request))
        loaded = None
        while True:
            event = events.get(timeout=600)
            if isinstance(event, ErrorEvent):
                raise RuntimeError(event.message)
            if isinstance(event, ModelLoaded):
                loaded = event.load_seconds
            if isinstance(event, GenerationDone):
                return {"text": event.text, "tokens": event.stats.generated_tokens, "load_s": loaded}
    finally:
        engine.stop()


def _greedy(model: Any, tokenizer: Any, prompt: Any, max_tokens: int) -> tuple[str, int]:
    import mlx_lm
    from mlx_lm.sample_utils import make_sampler

    pieces = list(mlx_lm.stream_generate(model, tokenizer, prompt, max_tokens=max_tokens, sampler=make_sampler(0.0)))
    return "".join(r.text for r in pieces), len(pieces)


def direct_reply(folder: Path, passage: str) -> dict[str, Any]:
    """The same reply from mlx-lm alone (its own load, chat template and stream_generate, greedy, plain cache), and
    raw continuations of text any trained model of this size completes (a broken conversion does not)."""
    import mlx_lm

    model, tokenizer = mlx_lm.load(str(folder))
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": passage}], add_generation_prompt=True)
    text, n = _greedy(model, tokenizer, prompt, REPLY_TOKENS)
    probes = {p: _greedy(model, tokenizer, p, 6)[0] for p in PROBES}
    return {"text": text, "tokens": n, "prompt_tokens": len(prompt), "probes": probes}


def continuation(folder: Path) -> dict[str, Any]:
    passage = zen_passage()
    return {
        "passage": passage,
        "hearth_plain": engine_reply(folder, False, passage),
        "hearth_compressed": engine_reply(folder, True, passage),
        "mlx_lm": direct_reply(folder, passage),
    }


def perplexity_of(model: Any, ids: list[int], cache: list[Any]) -> float:
    import mlx.core as mx
    import numpy as np

    nll, n = 0.0, 0
    for start in range(0, len(ids) - 1, PPL_CHUNK):
        x = mx.array(ids[start : start + PPL_CHUNK])[None]
        targets = np.array(ids[start + 1 : start + PPL_CHUNK + 1])
        logits = model(x, cache=cache)[0, : len(targets)].astype(mx.float32)
        logp = np.array(logits - mx.logsumexp(logits, axis=-1, keepdims=True))
        nll -= float(logp[np.arange(len(targets)), targets].sum())
        n += len(targets)
    return math.exp(nll / n)


def perplexity(folder: Path) -> dict[str, Any]:
    from app.engine.runtime import compressed_cache_factory
    from app.config.settings import Settings
    from models.base import ModelFolder
    from models.llm_mlx import MlxLmChat

    chat = MlxLmChat.load(ModelFolder(folder, json.loads((folder / "config.json").read_text())), "gemma3-270m")
    text = (Path(sysconfig.get_paths()["stdlib"]) / PPL_FILE).read_text(encoding="utf-8")
    ids = chat.tokenizer.encode(text)[: PPL_TOKENS + 1]
    settings = Settings()
    plain_cache = chat.make_prompt_cache()
    compressed_cache = compressed_cache_factory(settings)(chat)
    return {
        "file": PPL_FILE,
        "tokens": len(ids) - 1,
        "bits": [settings.memory.kv_key_bits, settings.memory.kv_value_bits],
        "plain_layers": sorted({type(c).__name__ for c in plain_cache}),
        "compressed_layers": sorted({type(c).__name__ for c in compressed_cache}),
        "plain": perplexity_of(chat.model, ids, plain_cache),
        "compressed": perplexity_of(chat.model, ids, compressed_cache),
    }


def live_cache(folder: Path) -> dict[str, Any]:
    """The live prompt cache on the real model: a first turn whose prompt outgrows the 512-token sliding window (so
    the rotating layers cannot be trimmed and come back from the prompt snapshot), a reply cut by barge-in, then
    the next turn; its logits against the same tokens fed on the same schedule into a new cache."""
    import mlx.core as mx
    import numpy as np

    from app.config.settings import Settings
    from app.engine.jobs import GenerationJob
    from app.engine.live_cache import LiveCache
    from app.engine.messages import GenerationDone
    from app.engine.runtime import compressed_cache_factory
    from models.base import PREFILL_CHUNK, ChatMessage, ChatRequest, ModelFolder, SamplingParams, Speaker
    from models.llm_mlx import MlxLmChat

    chat = MlxLmChat.load(ModelFolder(folder, json.loads((folder / "config.json").read_text())), "gemma3-270m")
    text = (Path(sysconfig.get_paths()["stdlib"]) / PPL_FILE).read_text(encoding="utf-8")[:2600]
    question = ChatMessage(Speaker.USER, "Summarise this code:\n" + text)

    def logits(layers: list, tokens) -> np.ndarray:
        return np.array(chat.model(mx.array(list(tokens))[None], cache=layers)[0, -1].astype(mx.float32))

    out: dict[str, Any] = {}
    for name, factory in (("plain", lambda m: m.make_prompt_cache()), ("compressed", compressed_cache_factory(Settings()))):
        live = LiveCache(chat, factory)
        job = GenerationJob(1, chat, ChatRequest((question,), SamplingParams(max_tokens=12)), live)
        done = None
        while done is None:
            done = next((e for e in job.step() if isinstance(e, GenerationDone)), None)
        first = len(job.prompt.tokens) - 1
        heard = " ".join(done.text.split()[:3]) + "…"
        prompt = chat.encode(ChatRequest((question, ChatMessage(Speaker.ASSISTANT, heard),
                                          ChatMessage(Speaker.USER, "Stop. Thanks."))))
        start = live.prepare(prompt)
        rewound = logits(live.layers, prompt.tokens[start:])
        ref = factory(chat)
        stable = job.prompt.stable if 0 < job.prompt.stable < first else first
        for lo, hi in ((0, stable), (stable, first)):  # the job's schedule: to the end of the messages, then the rest
            for a in range(lo, hi, PREFILL_CHUNK):
                logits(ref, job.prompt.tokens[a:min(hi, a + PREFILL_CHUNK)])
        for token in prompt.tokens[first:start]:
            logits(ref, (token,))
        fresh = logits(ref, prompt.tokens[start:])
        out[name] = {"prompt_tokens": first + 1, "held": start, "snapshot": live.snapshot is not None,
                     "max_abs_diff": float(np.abs(rewound - fresh).max()), "scale": float(np.abs(fresh).max()),
                     "same_top1": int(rewound.argmax()) == int(fresh.argmax())}
    return out


def main(argv: list[str]) -> int:
    folder = Path(argv[1])
    parts = argv[2:] or ["continuation", "perplexity", "live_cache"]
    table = {"continuation": continuation, "perplexity": perplexity, "live_cache": live_cache}
    report = {name: _part(lambda name=name: table[name](folder)) for name in parts}
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
