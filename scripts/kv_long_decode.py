"""Decode speed at a long context, for bench_kv_ppl.py --decode-context N (stress mode: every attention layer).

Prefilling N tokens with every layer's cache under test would cost N^2 attention per layer and cache; instead one
prefill runs the model as it is built (sliding-window layers in their own window, which is exactly what the stress
mode's sliding mask computes, so every layer's keys and values are the same) without the output head, and records
every layer's keys and values. Each cache under test is then filled with them in one update (Hearth's compresses
them as after an attention call), and all caches are stepped in turn, the same text tokens teacher-forced into each
(no perplexity): the median time per token, as ratios to the float32 and bfloat16 caches of the same run.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

import mlx.core as mx
from mlx_lm.models.cache import KVCache, RotatingKVCache

from kvcache import CompressedKVCache


class _Recording(RotatingKVCache):
    """The model's own sliding-window cache for the prefill, keeping every key and value it was given."""

    def __init__(self, max_size: int):
        super().__init__(max_size)
        self.log: list[tuple[mx.array, mx.array]] = []

    def update_and_fetch(self, keys, values):
        self.log.append((keys, values))
        return super().update_and_fetch(keys, values)


def record(model, ids: list[int], chunk: int, log: Callable[[str], None]) -> list[tuple[mx.array, mx.array]]:
    """Every layer's keys and values (B, H, len(ids), d) for the prefill of ``ids``."""
    caches = [_Recording(c.max_size) if isinstance(c, RotatingKVCache) else KVCache() for c in model.make_cache()]
    inner = getattr(model, "model", model)
    t0 = time.perf_counter()
    for s in range(0, len(ids), chunk):
        mx.eval(inner(mx.array(ids[s : s + chunk])[None], cache=caches))
        if (s // chunk) % 16 == 15:
            log(f"long prefill {s + chunk} / {len(ids)} tokens, {time.perf_counter() - t0:.0f} s")
    out = []
    for c in caches:
        if isinstance(c, _Recording):
            out.append(tuple(mx.concatenate(list(part), axis=2) for part in zip(*c.log)))
        else:
            out.append((c.keys[..., : c.offset, :], c.values[..., : c.offset, :]))
    mx.eval(out)
    return out


def filled(make: Callable[[], object], kv: list[tuple[mx.array, mx.array]]) -> list:
    """One cache per layer holding the recorded keys and values."""
    caches = []
    for k, v in kv:
        c = make()
        c.update_and_fetch(k, v)
        if isinstance(c, CompressedKVCache):
            c.settle()  # what the attention call after the update does
        mx.eval(c.state)
        caches.append(c)
    return caches


def step_in_turn(model, runs: dict[str, list], tokens: list[int]) -> dict[str, float]:
    """Median seconds per decode step of each cache list, fed ``tokens`` one at a time, one step of each in turn."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for i, tok in enumerate(tokens):
        for name, caches in runs.items():
            t0 = time.perf_counter()
            mx.eval(mx.argmax(model(mx.array([[tok]]), cache=caches)[0, -1]))
            if i:
                times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def run(model, ids: list[int], context: int, makers: dict[str, Callable[[], object]], chunk: int, steps: int,
        log: Callable[[str], None]) -> dict[str, float]:
    """{cache name: seconds per decode step at ``context`` tokens}; ids holds context + steps tokens."""
    kv = record(model, ids[:context], chunk, log)
    runs = {}
    for name, make in makers.items():
        runs[name] = filled(make, kv)
        log(f"long context: {name} filled")
    del kv
    return step_in_turn(model, runs, ids[context : context + steps])


def print_table(context: int, steps: int, secs: dict[str, float], fp32: str, bf16: str) -> None:
    print(f"\ndecode at {context} tokens of context, stress mode (every layer's cache under test), {steps} steps of "
          "each cache in turn")
    head = f"{'cache':34s} {'ms/token':>9s} {'x fp32':>7s} {'x bf16':>7s}"
    print(head)
    print("-" * len(head))
    for name, t in secs.items():
        print(f"{name:34s} {1000 * t:9.1f} {t / secs[fp32]:6.2f}x {t / secs[bf16]:6.2f}x")
