"""Perplexity of a real language model with each KV cache, against the float32 cache, in one run.

    uv run python scripts/bench_kv_ppl.py MODEL_DIR [--tokens 3072] [--chunk 256] [--tail 128] [--seeds 0 1 2]
        [--modes app stress full] [--only NAME ...] [--no-variants] [--json FILE] [--decode-context 32768]

MODEL_DIR is an mlx-lm model folder (float32 weights; e.g. Gemma 3 270M converted by scripts in the real-weights
work). The text is a fixed list of the running interpreter's standard-library source files, cut to ``--tokens``
tokens. It is prefilled in chunks of ``--chunk`` tokens with the cache carried over; perplexity is over every next-
token prediction of the text. (Each chunk's own tokens are read uncompressed by their attention call, as in any
prefill; only earlier chunks are read from codes.) Then the next ``--tail`` tokens are fed one decode step each,
teacher-forced: "decode ppl", what generated tokens see (everything before them compressed except the sinks, the window
and the decode batch not yet compressed). Then 100 greedy tokens are generated with every cache stepped in turn (so load
on the shared machine hits all alike): decode ms/token ratio to the float32 cache, and how many of the 100 tokens equal the
float32 cache's at the same position ("match") and how many lead before the first difference ("prefix").

Caches: float32 KVCache (baseline), mlx-lm's KVCache fed bfloat16 keys and values (what a 16-bit cache costs a
float32 model), Hearth's compressed cache (kvcache/) at its default and variants, mlx-lm
QuantizedKVCache 4 and 8 bits (group 64), mlx-vlm TurboQuantKVCache 4 and 3.5 bits. Seeded caches (Hearth's rotation,
TurboQuant's) run with each seed; the table prints mean +- standard deviation over seeds.

Modes:
  app     as the app runs it: only the model's full-attention layers get the cache under test (sliding-window layers
          keep mlx-lm's RotatingKVCache in float32). Gemma 3 has one full-attention layer in six.
  stress  every attention layer gets the cache under test: what an all-full-attention model sees. Sliding-window
          layers keep their window through the model's own sliding mask (the cache holds every token, the mask lets
          each query read the last ``sliding_window`` of them), so each of their keys and values has gone through
          the codec too; the float32 baseline is the same model with a plain KVCache everywhere (identical to its
          RotatingKVCache). The goals apply to this mode.
  full    Gemma 3 with every layer run as a full-attention layer (sliding_window_pattern = 1; each layer keeps its
          RoPE base), baseline and caches alike. Off by default: the weights were not trained for it (float32
          perplexity on the text jumps from ~5 to ~225), so its differences say little.

bits/element is measured from the caches' own stored arrays (at the end of the prefill, over the layers under test),
size = 16 / bits (ratio to a bf16 cache). Speed columns: decode time per token and prefill speed as ratios to the
float32 cache's and to the bfloat16 cache's. --decode-context N also measures decode at N tokens of context for the
float32, bfloat16 and default Hearth caches (stress mode; scripts/kv_long_decode.py). Speed: LD_PRELOAD=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
MLX's buffer cache is set as the app's engine sets it (models/mlx_memory.py: 512 MB on the CPU backend);
--mlx-default-cache keeps MLX's own default (32 MB on the CPU) instead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import mlx.core as mx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlx.utils import tree_flatten  # noqa: E402
from mlx_lm.models.cache import KVCache, QuantizedKVCache, RotatingKVCache  # noqa: E402
from mlx_vlm.turboquant import TurboQuantKVCache  # noqa: E402

import kv_long_decode  # noqa: E402
from kvcache import CompressedKVCache, KVQuantConfig  # noqa: E402
from kvcache import patch as kv_patch  # noqa: E402
from models.mlx_memory import tune_allocator  # noqa: E402

TEXT_FILES = ("json/decoder.py", "asyncio/locks.py", "email/message.py", "textwrap.py", "string.py",
              "heapq.py", "bisect.py", "fractions.py", "shlex.py", "queue.py", "pprint.py", "difflib.py",
              "argparse.py", "typing.py", "inspect.py", "subprocess.py", "tarfile.py", "pathlib.py")
GREEDY = 100
FP32, BF16 = "fp32 KVCache", "bf16 KVCache"
LONG_STEPS = 16


@dataclass(frozen=True)
class Method:
    name: str
    make: Callable[[int], object]  # seed -> one layer's cache
    seeded: bool


def hearth(name: str, **kw) -> Method:
    return Method(f"hearth {name}", lambda s, kw=kw: CompressedKVCache(KVQuantConfig(seed=s, **kw)), True)


class BF16KVCache(KVCache):
    """mlx-lm's KVCache holding bfloat16 keys and values (the model's float32 queries read them as they are)."""

    def update_and_fetch(self, keys, values):
        return super().update_and_fetch(keys.astype(mx.bfloat16), values.astype(mx.bfloat16))


class QuantizedBeforeAttention(CompressedKVCache):
    """Ablation: the cache as it was before issue 15, compressing each update before its own attention call."""

    def update_and_fetch(self, keys, values):
        out = super().update_and_fetch(keys, values)
        self.settle()
        return out


def methods(variants: bool) -> list[Method]:
    out = [Method(FP32, lambda s: KVCache(), False), Method(BF16, lambda s: BF16KVCache(), False),
           hearth(f"{KVQuantConfig().label} (default)")]
    if variants:
        out += [Method("hearth K4.75V3 w0", lambda s: CompressedKVCache(KVQuantConfig(seed=s, window=0)), False),
                hearth("K3.375V3 w0", key_bits=3.375, value_bits=3, window=0),
                Method("hearth K4.75V3 w0 early quant",
                       lambda s: QuantizedBeforeAttention(KVQuantConfig(seed=s, window=0)), False)]
    return out + [
        Method("mlx-lm q8 g64", lambda s: QuantizedKVCache(64, 8), False),
        Method("mlx-lm q4 g64", lambda s: QuantizedKVCache(64, 4), False),
        Method("mlx-vlm TQ 4", lambda s: TurboQuantKVCache(bits=4, seed=s), True),
        Method("mlx-vlm TQ 3.5", lambda s: TurboQuantKVCache(bits=3.5, seed=s), True),
    ]


# ---- text -------------------------------------------------------------------------------------------------------
def stdlib_text(tokenizer, n_tokens: int) -> list[int]:
    lib = Path(sysconfig.get_paths()["stdlib"])
    ids: list[int] = []
    for rel in TEXT_FILES:
        ids += tokenizer.encode((lib / rel).read_text(encoding="utf-8"), add_special_tokens=not ids)
        if len(ids) >= n_tokens + 1:
            return ids[: n_tokens + 1]
    raise SystemExit(f"the standard-library text gives only {len(ids)} tokens; ask for fewer")


# ---- caches and routing -----------------------------------------------------------------------------------------
def route_turboquant() -> None:
    """mlx-lm model modules send any cache with a ``bits`` attribute to mlx-lm's quantized attention; TurboQuant's
    cache has one but needs mlx-vlm's attention, so wrap the (already Hearth-patched) function once more."""
    from mlx_vlm.models.base import scaled_dot_product_attention as vlm_sdpa

    kv_patch.install()
    for name, module in list(sys.modules.items()):
        fn = getattr(module, "scaled_dot_product_attention", None) if name.startswith("mlx_lm.models.") else None
        if fn is None or getattr(fn, "bench_tq", False):
            continue

        def sdpa(queries, keys, values, cache, scale, mask, sinks=None, _orig=fn):
            if isinstance(cache, TurboQuantKVCache):
                return vlm_sdpa(queries, keys, values, cache, scale=scale, mask=mask)
            return _orig(queries, keys, values, cache=cache, scale=scale, mask=mask, sinks=sinks)

        sdpa.bench_tq = True
        setattr(module, "scaled_dot_product_attention", sdpa)


@contextlib.contextmanager
def attention_mode(model, mode: str):
    """Yields (indices of the layers whose cache is under test, the cache type each layer has in the app)."""
    inner = getattr(model, "model", model)
    pattern = getattr(inner, "sliding_window_pattern", None)
    kinds = [type(c) for c in model.make_cache()] if hasattr(model, "make_cache") else [KVCache] * len(model.layers)
    if mode == "full" and pattern is not None:
        inner.sliding_window_pattern = 1
    try:
        attention = [i for i, k in enumerate(kinds) if k in (KVCache, RotatingKVCache)]
        yield ([i for i in attention if kinds[i] is KVCache] if mode == "app" else attention), kinds
    finally:
        if pattern is not None:
            inner.sliding_window_pattern = pattern


def build_caches(model, kinds: list[type], tested: list[int], method: Method, seed: int) -> list:
    base = model.make_cache() if hasattr(model, "make_cache") else [KVCache() for _ in kinds]
    return [method.make(seed) if i in tested else base[i] for i in range(len(kinds))]


def stored_bytes(cache) -> int:
    """Bytes of the tokens held (mlx-lm's caches allocate in steps of 256 tokens: count only the filled part)."""
    if isinstance(cache, (CompressedKVCache, TurboQuantKVCache)):
        return cache.nbytes
    return sum(a.nbytes for _, a in tree_flatten(cache.keys_and_values()) if isinstance(a, mx.array))


def elements(model, tested: list[int], tokens: int) -> int:
    total = 0
    for i in tested:
        attn = model.layers[i].self_attn
        heads = getattr(attn, "n_kv_heads", None) or attn.num_key_value_heads
        total += tokens * heads * 2 * attn.head_dim
    return total


# ---- runs -------------------------------------------------------------------------------------------------------
def prefill(model, ids: list[int], caches: list, chunk: int) -> tuple[float, float, mx.array]:
    """(mean NLL, seconds, last logits): every next-token prediction of ids[:-1] -> ids[1:]."""
    x, y = mx.array(ids[:-1]), mx.array(ids[1:])
    nll, t0, logits = 0.0, time.perf_counter(), None
    for s in range(0, x.size, chunk):
        logits = model(x[None, s : s + chunk], cache=caches)[0].astype(mx.float32)
        tgt = y[s : s + chunk]
        part = mx.logsumexp(logits, axis=-1) - mx.take_along_axis(logits, tgt[:, None], axis=-1)[:, 0]
        nll_part = mx.sum(part)
        mx.eval(nll_part, [c.state for c in caches])
        nll += float(nll_part)
    return nll / x.size, time.perf_counter() - t0, logits[-1]


def decode_tail(model, ids: list[int], caches: list) -> tuple[float, mx.array]:
    """Teacher-forced decode, one token per step: (mean NLL of ids[1:] given ids[:-1], last logits)."""
    nll, logits = 0.0, None
    for t in range(len(ids) - 1):
        logits = model(mx.array([[ids[t]]]), cache=caches)[0, -1].astype(mx.float32)
        part = mx.logsumexp(logits) - logits[ids[t + 1]]
        nll += float(part)
    return nll / (len(ids) - 1), logits


def greedy_interleaved(model, runs: dict[str, tuple[list, mx.array]], last_id: int, n: int):
    """Greedy generation for every cache, one step of each in turn. {name: (tokens, seconds per token)}."""
    toks = {name: [] for name in runs}
    times: dict[str, list[float]] = {name: [] for name in runs}
    feed = {name: int(mx.argmax(last)) for name, (_, last) in runs.items()}
    for step in range(n):
        for name, (caches, _) in runs.items():
            toks[name].append(feed[name])
            t0 = time.perf_counter()
            logits = model(mx.array([[feed[name]]]), cache=caches)
            nxt = mx.argmax(logits[0, -1])
            mx.eval(nxt)
            if step:
                times[name].append(time.perf_counter() - t0)
            feed[name] = int(nxt)
    return {name: (toks[name], statistics.median(times[name])) for name in runs}


def run_mode(model, ids: list[int], ms: list[Method], mode: str, seeds: list[int], chunk: int, tail: int) -> dict:
    text, rest = ids[: len(ids) - tail], ids[len(ids) - tail - 1 :]
    with attention_mode(model, mode) as (tested, kinds):
        n_elem = elements(model, tested, len(text) - 1)
        rows, first = {}, {}
        for m in ms:  # warm-up (kernels, codebooks): two chunks each, untimed
            prefill(model, ids[: 2 * chunk + 1], build_caches(model, kinds, tested, m, seeds[0]), chunk)
        for m in ms:
            rows[m.name] = r = dict(nll=[], tail_nll=[], bits=None, prefill_s=None)
            for seed in seeds if m.seeded else seeds[:1]:
                caches = build_caches(model, kinds, tested, m, seed)
                nll, secs, _ = prefill(model, text, caches, chunk)
                bits = sum(stored_bytes(caches[i]) for i in tested) * 8 / n_elem
                tail_nll, last = decode_tail(model, rest, caches)
                r["nll"].append(nll)
                r["tail_nll"].append(tail_nll)
                if seed == seeds[0]:
                    r["bits"], r["prefill_s"] = bits, secs
                    first[m.name] = (caches, last)
                log(f"{mode} {m.name} seed {seed}: ppl {np.exp(nll):.4f} decode ppl {np.exp(tail_nll):.4f} {secs:.1f} s")
        gen = greedy_interleaved(model, first, ids[-1], GREEDY)
    ref_toks, ref_t = gen[ms[0].name]
    for name, (toks, t) in gen.items():
        r = rows[name]
        r["ppl"] = [float(np.exp(v)) for v in r["nll"]]
        r["tail_ppl"] = [float(np.exp(v)) for v in r["tail_nll"]]
        r["decode_s"] = t
        r["match"] = sum(a == b for a, b in zip(toks, ref_toks))
        r["prefix"] = next((i for i, (a, b) in enumerate(zip(toks, ref_toks)) if a != b), len(toks))
    return dict(layers_tested=tested, layers=len(kinds), rows=rows)


# ---- report -----------------------------------------------------------------------------------------------------
def _mean_sd(values: list[float], ref: float) -> tuple[float, float]:
    """Mean and standard deviation over seeds, in % of the reference."""
    pct = [100 * (v / ref - 1) for v in values]
    return statistics.mean(pct), (statistics.stdev(pct) if len(pct) > 1 else 0.0)


def print_table(mode: str, res: dict) -> None:
    rows = res["rows"]
    base, bf = rows[FP32], rows[BF16]
    ref, ref_tail = base["ppl"][0], base["tail_ppl"][0]
    print(f"\nmode {mode}: {len(res['layers_tested'])} of {res['layers']} layers under test; "
          f"fp32 perplexity {ref:.4f} (text, chunked prefill), {ref_tail:.4f} (decode steps)")
    head = (f"{'cache':30s} {'ppl':>8s} {'d ppl %':>13s} {'decode ppl %':>13s} {'bits':>5s} {'x bf16':>6s} "
            f"{'decode':>7s} {'prefill':>7s} {'dec bf':>7s} {'pre bf':>7s} {'match':>5s} {'prefix':>6s}")
    print(head)
    print("-" * len(head))
    for name, r in rows.items():
        d, sd = _mean_sd(r["ppl"], ref)
        dt, sdt = _mean_sd(r["tail_ppl"], ref_tail)
        print(f"{name:30s} {statistics.mean(r['ppl']):8.4f} {d:+6.2f} +-{sd:4.2f} {dt:+6.2f} +-{sdt:4.2f} {r['bits']:5.2f} "
              f"{16 / r['bits']:6.2f} {r['decode_s'] / base['decode_s']:6.2f}x {base['prefill_s'] / r['prefill_s']:6.2f}x "
              f"{r['decode_s'] / bf['decode_s']:6.2f}x {bf['prefill_s'] / r['prefill_s']:6.2f}x {r['match']:>5d} {r['prefix']:>6d}")
    print(f"fp32 decode {1000 * base['decode_s']:.1f} ms/token, prefill {base['prefill_s']:.1f} s; bf16 decode "
          f"{1000 * bf['decode_s']:.1f} ms/token, prefill {bf['prefill_s']:.1f} s. d ppl: mean +- sd over seeds vs fp32; "
          "decode ppl: the tokens after the text, one decode step each; decode = time per token / fp32's; prefill = "
          "speed / fp32's; dec bf, pre bf: the same against bf16's; match/prefix of 100 greedy tokens")


def long_decode(model, ids: list[int], ms: list[Method], args) -> None:
    makers = {m.name: (lambda m=m: m.make(args.seeds[0])) for m in ms[:3]}  # fp32, bf16, Hearth's default
    with attention_mode(model, "stress"):
        secs = kv_long_decode.run(model, ids, args.decode_context, makers, args.chunk, LONG_STEPS, log)
    kv_long_decode.print_table(args.decode_context, LONG_STEPS, secs, FP32, BF16)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--tokens", type=int, default=3072)
    ap.add_argument("--chunk", type=int, default=256)
    ap.add_argument("--tail", type=int, default=128, help="tokens after the text read one decode step at a time")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--modes", nargs="*", choices=["app", "stress", "full"], default=["app", "stress"])
    ap.add_argument("--no-variants", action="store_true", help="only Hearth's default, not its variants")
    ap.add_argument("--only", nargs="+", help="run only the caches whose name contains one of these (fp32, bf16 and "
                    "Hearth's default always run)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--decode-context", type=int, default=0, help="also time decode at this many tokens of context")
    ap.add_argument("--mlx-default-cache", action="store_true", help="keep MLX's default buffer cache limit instead "
                    "of the one the app's engine sets")
    args = ap.parse_args(argv)
    limit = None if args.mlx_default_cache else tune_allocator()
    log(f"MLX buffer cache limit: {'MLX default' if limit is None else f'{limit >> 20} MB (as the app sets it)'}")
    from mlx_lm import load

    model, tokenizer = load(str(args.model))
    route_turboquant()
    ids = stdlib_text(tokenizer, args.tokens + args.tail)
    ms = methods(not args.no_variants)
    if args.only:
        ms = ms[:3] + [m for m in ms[3:] if any(word in m.name for word in args.only)]
    res = {"model": str(args.model), "tokens": args.tokens, "chunk": args.chunk, "seeds": args.seeds,
           "mlx_cache_limit": limit, "modes": {}}
    for mode in args.modes:  # each mode's table and the JSON so far as soon as the mode is done
        res["modes"][mode] = run_mode(model, ids, ms, mode, args.seeds, args.chunk, args.tail)
        print_table(mode, res["modes"][mode])
        sys.stdout.flush()
        if args.json:
            args.json.write_text(json.dumps(res, indent=1))
    if args.decode_context:
        long_decode(model, stdlib_text(tokenizer, args.decode_context + LONG_STEPS), ms, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
