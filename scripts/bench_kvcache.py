"""Benchmark of KV caches side by side: bf16 KVCache, mlx-lm QuantizedKVCache (4-bit g64, 8-bit), mlx-vlm TurboQuant
(3.5 and 4 bits) and Hearth's compressed cache (kvcache/) at several settings.

Reports bits/element measured from nbytes (and the ratio to bf16), unit-vector MSE against theory, attention fidelity
(output cosine, softmax KL, top-8 overlap vs float32) on synthetic outlier/peaked data and on the real Q/K/V in
../shared/data/real_qkv_135m.npz, needle retrieval at depths 0-100 %, decode-step attention time at 4K/32K/128K and
prefill time as ratios to bf16 measured in the same run, and a 2^20-token run at the Qwen3.5-4B attention geometry
(8 layers x 4 KV heads x head_dim 256): resident bytes, peak extra memory during one decode step, step time.

Usage:  uv run python scripts/bench_kvcache.py [--quick] [--json FILE]
  --quick   ~2-3 minutes: smaller contexts (4K/32K decode, 2^16-token long run instead of 2^20), fewer layers.
Speed: MLX's CPU backend calls the system BLAS; on Debian preloading OpenBLAS speeds matmuls up a lot:
  LD_PRELOAD=/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0 uv run python scripts/bench_kvcache.py
Speed figures are ratios to bf16 measured in the same run; on a shared machine they are noisy (take the median).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import mlx.core as mx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlx_lm.models.base import quantized_scaled_dot_product_attention as lm_qsdpa  # noqa: E402
from mlx_lm.models.cache import KVCache, QuantizedKVCache  # noqa: E402
from mlx_vlm.models.base import scaled_dot_product_attention as vlm_sdpa  # noqa: E402
from mlx_vlm.turboquant import TurboQuantKVCache  # noqa: E402

from kvcache import CompressedKVCache, KVQuantConfig, compressed_attention  # noqa: E402
from kvcache.codebook import theoretical_mse  # noqa: E402
from kvcache.codec import make_codec  # noqa: E402
from kvcache.segment import Segment  # noqa: E402

REAL = ROOT.parent / "shared" / "data" / "real_qkv_135m.npz"
BF16 = mx.bfloat16


@dataclass(frozen=True)
class Method:
    name: str
    make: Callable[[], object]
    kind: str  # fp32 | bf16 | mlxlm | mlxvlm | ours


def methods() -> list[Method]:
    ours = [("K4.75V3 (default)", KVQuantConfig()), ("K4.75V3 w32", KVQuantConfig(window=32)),
            ("K3.375V3", KVQuantConfig(key_bits=3.375)), ("K5V3", KVQuantConfig(key_bits=5)),
            ("K4V4", KVQuantConfig(key_bits=4, value_bits=4)), ("K4V3", KVQuantConfig(key_bits=4)),
            ("K3V3", KVQuantConfig(key_bits=3)), ("K2V2", KVQuantConfig(key_bits=2, value_bits=2)),
            ("K4V3 plain", KVQuantConfig(key_bits=4, sink_tokens=0, center_keys=False, fit_scale=False)),
            ("K4.75V3 query-aware", KVQuantConfig(query_aware=True))]
    out = [Method("fp32 KVCache", KVCache, "fp32"), Method("bf16 KVCache", KVCache, "bf16"),
           Method("mlx-lm q8 g64", lambda: QuantizedKVCache(64, 8), "mlxlm"),
           Method("mlx-lm q4 g64", lambda: QuantizedKVCache(64, 4), "mlxlm"),
           Method("mlx-vlm TQ 3.5", lambda: TurboQuantKVCache(bits=3.5), "mlxvlm"),
           Method("mlx-vlm TQ 4", lambda: TurboQuantKVCache(bits=4), "mlxvlm")]
    return out + [Method(f"ours {n}", (lambda c=c: CompressedKVCache(c)), "ours") for n, c in ours]


def fill(m: Method, k: mx.array, v: mx.array, chunk: int = 2048, q: mx.array | None = None):
    """Chunked prefill. Ours also sees each chunk's queries, as its attention would (query-aware key weights):
    the real queries when given (all positions), otherwise random ones with 2 query heads per KV head."""
    cache, fetched = m.make(), None
    dt = mx.float32 if m.kind == "fp32" else BF16
    for s in range(0, k.shape[2], chunk):
        fetched = cache.update_and_fetch(k[:, :, s : s + chunk].astype(dt), v[:, :, s : s + chunk].astype(dt))
        if m.kind == "ours":
            n = min(chunk, k.shape[2] - s)
            qs = q[:, :, s : s + n] if q is not None else mx.random.normal((1, 2 * k.shape[1], n, k.shape[3]))
            cache.observe_queries(qs.astype(BF16))
        mx.eval(cache.state)
    return cache, fetched


def dequantized(m: Method, cache, fetched) -> tuple[mx.array, mx.array]:
    if m.kind in ("bf16", "fp32"):
        return fetched[0].astype(mx.float32), fetched[1].astype(mx.float32)
    if m.kind == "mlxlm":
        deq = lambda t: mx.dequantize(*t, group_size=cache.group_size, bits=cache.bits)  # noqa: E731
        return deq(fetched[0]).astype(mx.float32), deq(fetched[1]).astype(mx.float32)
    k, v = cache.dequantize()
    return k.astype(mx.float32), v.astype(mx.float32)


def attend(m: Method, q: mx.array, cache, fetched, scale: float, mask) -> mx.array:
    if m.kind in ("bf16", "fp32"):
        dt = mx.float32 if m.kind == "fp32" else BF16
        return mx.fast.scaled_dot_product_attention(q.astype(dt), *fetched, scale=scale, mask=mask)
    if m.kind == "mlxlm":
        return lm_qsdpa(q.astype(BF16), *fetched, scale=scale, mask=mask, group_size=cache.group_size, bits=cache.bits)
    if m.kind == "mlxvlm":
        return vlm_sdpa(q.astype(BF16), *fetched, cache=cache, scale=scale, mask=mask)
    return compressed_attention(q.astype(BF16), cache, scale, mask)


# ---- fidelity ---------------------------------------------------------------------------------------------------
def probs(q, k, v, qpos, scale):
    rep = q.shape[1] // k.shape[1]
    k, v = mx.repeat(k, rep, axis=1), mx.repeat(v, rep, axis=1)
    s = (q @ k.swapaxes(-1, -2)) * scale
    s = mx.where(mx.array(qpos)[:, None] >= mx.arange(k.shape[2])[None], s, -1e30)
    p = mx.softmax(s, axis=-1)
    return p, p @ v


def fidelity(q, k, v, k2, v2, qpos, scale) -> tuple[float, float, float]:
    p, o = probs(q, k, v, qpos, scale)
    p2, o2 = probs(q, k2, v2, qpos, scale)
    cos = mx.sum(o * o2, -1) / (mx.linalg.norm(o, axis=-1) * mx.linalg.norm(o2, axis=-1) + 1e-12)
    kl = mx.sum(p * (mx.log(p + 1e-30) - mx.log(p2 + 1e-30)), -1)
    t1 = np.sort(np.array(mx.argsort(-p, axis=-1)[..., :8]), -1).reshape(-1, 8)
    t2 = np.sort(np.array(mx.argsort(-p2, axis=-1)[..., :8]), -1).reshape(-1, 8)
    top = np.mean([len(np.intersect1d(a, b)) / 8 for a, b in zip(t1, t2)])
    return float(mx.mean(cos)), float(mx.mean(kl)), float(top)


def synthetic(T: int, seed: int = 0):
    """Keys with a shared offset and 4 outlier channels (~6x), values with 2 outlier channels; peaked queries."""
    rng = np.random.default_rng(seed)
    H, rep, d = 4, 2, 128
    k = rng.standard_normal((1, H, T, d)) + 2 * rng.standard_normal((1, H, 1, d))
    k[..., [3, 17, 64, 81]] *= 6
    v = rng.standard_normal((1, H, T, d))
    v[..., [5, 90]] *= 4
    qpos = np.sort(rng.choice(np.arange(T // 4, T), 64, replace=False))
    targets = (rng.random(64) * qpos).astype(int)
    q = 0.35 * k[:, :, targets] + 0.5 * rng.standard_normal((1, H, 64, d))
    q = np.repeat(q, rep, axis=1)
    return [(mx.array(q, mx.float32), mx.array(k, mx.float32), mx.array(v, mx.float32), qpos, d**-0.5, None)]


def real(layers: list[int], stride: int):
    data = np.load(REAL)
    qpos = np.arange(64, 2048, stride)
    out = []
    for L in layers:
        q_all = mx.array(data[f"L{L}_q"].astype(np.float32))
        k, v = mx.array(data[f"L{L}_k"].astype(np.float32)), mx.array(data[f"L{L}_v"].astype(np.float32))
        out.append((q_all[:, :, mx.array(qpos)], k, v, qpos, 0.125, q_all))
    return out


def fidelity_rows(ms: list[Method], sets) -> dict[str, dict]:
    rows = {}
    for m in ms:
        scores, bits = [], []
        for q, k, v, qpos, scale, q_all in sets:
            cache, fetched = fill(m, k, v, q=q_all)
            k2, v2 = dequantized(m, cache, fetched)
            scores.append(fidelity(q, k, v, k2[:, :, : k.shape[2]], v2[:, :, : k.shape[2]], qpos, scale))
            bits.append(cache.nbytes * 8 / (2 * k.size))
        cos, kl, top = np.mean(scores, axis=0)
        worst = min(s[0] for s in scores)
        rows[m.name] = dict(cos=cos, worst_cos=worst, kl=kl, top8=top, bits=float(np.mean(bits)))
    return rows


# ---- needle, MSE -------------------------------------------------------------------------------------------------
def needle_hits(m: Method, T: int, depths: list[float], seed: int = 1) -> int:
    rng = np.random.default_rng(seed)
    d = 128
    mean = 2 * rng.standard_normal(d)
    k = rng.standard_normal((1, 1, T, d)) + mean
    v = rng.standard_normal((1, 1, T, d))
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    hits = 0
    for depth in depths:
        pos = min(T - 1, int(depth * T))
        kk = k.copy()
        z = rng.standard_normal(d)
        kk[0, 0, pos] = mean + z - (z @ u) * u + 5.0 * u  # 5 sigma along the query vs ~4 for the best distractor
        cache, fetched = fill(m, mx.array(kk, mx.float32), mx.array(v, mx.float32))
        k2, _ = dequantized(m, cache, fetched)
        scores = np.array(k2[0, 0, :T] @ mx.array(u, mx.float32))
        hits += int(np.argmax(scores) == pos)
    return hits


def mse_rows() -> dict[str, dict]:
    out = {}
    for bits in (2, 3, 4):
        x = mx.random.normal((20000, 128), key=mx.random.key(bits))
        x = x / mx.linalg.norm(x, axis=-1, keepdims=True)
        row = {"theory": theoretical_mse(128, bits)}
        for fit in (False, True):
            c = make_codec(128, bits, seed=0, fit_scale=fit)
            row["fit_scale" if fit else "plain"] = float(mx.mean(mx.sum((c.decode(*c.encode(x)) - x) ** 2, -1)))
        out[f"{bits}-bit"] = row
    return out


# ---- speed -------------------------------------------------------------------------------------------------------
def decode_times(ms: list[Method], T: int) -> dict[str, float]:
    """One decode step's attention (1 query token, 16 q heads / 4 kv heads / d 256) over a T-token cache."""
    k = mx.random.normal((1, 4, T, 256)).astype(BF16)
    v = mx.random.normal((1, 4, T, 256)).astype(BF16)
    q = mx.random.normal((1, 16, 1, 256))
    filled = {m.name: fill(m, k, v, chunk=8192) for m in ms}
    times: dict[str, list[float]] = {m.name: [] for m in ms}
    for r in range(6):  # interleaved rounds (the first is warm-up): load changes hit every method alike
        for m in ms:
            cache, fetched = filled[m.name]
            t = time.perf_counter()
            mx.eval(attend(m, q, cache, fetched, 1 / 16, None))
            if r:
                times[m.name].append(time.perf_counter() - t)
    return {name: statistics.median(t) for name, t in times.items()}


def prefill_times(ms: list[Method], T: int, chunk: int) -> dict[str, float]:
    """Chunked prefill (update + causal attention of each chunk), 8 q heads / 2 kv heads / d 128 (CPU is slow)."""
    k = mx.random.normal((1, 2, T, 128))
    q = mx.random.normal((1, 8, T, 128))
    times: dict[str, list[float]] = {m.name: [] for m in ms}
    for _ in range(3):  # interleaved rounds, median
        for m in ms:
            kk = k if m.kind == "fp32" else k.astype(BF16)
            mx.eval(kk)
            t0 = time.perf_counter()
            cache = m.make()
            for s in range(0, T, chunk):
                fetched = cache.update_and_fetch(kk[:, :, s : s + chunk], kk[:, :, s : s + chunk])
                mx.eval(attend(m, q[:, :, s : s + chunk], cache, fetched, 1 / 16, "causal"), cache.state)
            times[m.name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def random_segment(cache: CompressedKVCache, n: int) -> Segment:
    """n tokens of random codes (any byte pattern is a valid code) with plausible scales."""
    shape = (cache.batch, cache.n_kv_heads, n)
    codes = lambda w: mx.random.randint(0, 256, (*shape, w)).astype(mx.uint8)  # noqa: E731
    scales = lambda: (16 + mx.random.uniform(shape=shape)).astype(mx.float16)  # noqa: E731
    return Segment(codes(cache.k_codec.width), scales(), codes(cache.v_codec.width), scales())


def long_run(tokens: int, chunk: int = 16384) -> dict[str, float]:
    """Qwen3.5-4B attention geometry at the default setting. Each layer's first chunk is random bf16 data encoded
    by update_and_fetch (timed: encode throughput); the rest is appended chunk by chunk as random codes, which cost
    the same bytes and the same attention work (encoding 2^20 tokens x 8 layers takes ~15 min on this CPU)."""
    layers = [CompressedKVCache(KVQuantConfig(window=0)) for _ in range(8)]  # random codes are appended (needs no window); the window is added below
    k = mx.random.normal((1, 4, chunk, 256)).astype(BF16)
    mx.eval(k)
    t0 = time.perf_counter()
    q = mx.random.normal((1, 16, chunk, 256)).astype(BF16)
    for c in layers:
        c.update_and_fetch(k, k[:, :, ::-1])
        c.observe_queries(q)
        mx.eval(c.state)
    encode_tps = 8 * chunk / (time.perf_counter() - t0)
    for s in range(chunk, tokens, chunk):
        for c in layers:
            c.append_segment(random_segment(c, min(chunk, tokens - s)))
        mx.eval([c.state for c in layers])
    resident = sum(c.nbytes for c in layers) + 8 * 4 * KVQuantConfig().window * 2 * 256 * 2  # + the default window
    q, kv = mx.random.normal((1, 16, 1, 256)).astype(BF16), mx.random.normal((1, 4, 1, 256)).astype(BF16)
    mx.eval(q, kv)
    base = mx.get_active_memory()
    mx.reset_peak_memory()
    t0 = time.perf_counter()
    mx.eval([compressed_attention(q, c, 1 / 16, None) for c in layers if c.update_and_fetch(kv, kv)])
    step = time.perf_counter() - t0
    return dict(tokens=tokens, encode_tokens_per_s=encode_tps, resident_gb=resident / 1e9,
                bf16_gb=tokens * 32 * 1024 / 1e9, bits=resident * 8 / (tokens * 8 * 4 * 256 * 2), step_s=step,
                step_peak_extra_gb=(mx.get_peak_memory() - base) / 1e9, active_gb=mx.get_active_memory() / 1e9)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---- report ------------------------------------------------------------------------------------------------------
def run(quick: bool) -> dict:
    ms = methods()
    res: dict = {"quick": quick}
    log("mse")
    res["mse"] = mse_rows()
    log("fidelity")
    res["synthetic"] = fidelity_rows(ms, synthetic(4096 if quick else 8192))
    layers = [0, 14, 29] if quick else [0, 4, 9, 14, 19, 24, 29]
    res["real"] = fidelity_rows(ms, real(layers, 32 if quick else 16))
    depths = [i / 10 for i in range(11)]
    log("needle")
    res["needle"] = {m.name: needle_hits(m, 4096 if quick else 16384, depths) for m in ms}
    res["needle_depths"] = len(depths)
    speed_ms = [m for m in ms if m.name in SPEED_METHODS]
    sizes = [4096, 32768] if quick else [4096, 32768, 131072]
    log("decode")
    res["decode_s"] = {str(T): decode_times(speed_ms, T) for T in sizes}
    log("prefill")
    res["prefill_s"] = prefill_times(speed_ms, 1024 if quick else 2048, 256 if quick else 512)
    log("long run")
    res["long"] = long_run(2**16 if quick else 2**20)
    return res


SPEED_METHODS = ("fp32 KVCache", "bf16 KVCache", "mlx-lm q8 g64", "mlx-lm q4 g64", "mlx-vlm TQ 3.5", "mlx-vlm TQ 4",
                 "ours K4.75V3 (default)", "ours K4.75V3 w32", "ours K3.375V3")


def _ratio(table: dict, name: str, base_name: str = "bf16 KVCache") -> str:
    base = table.get(base_name)
    return f"{table[name] / base:5.2f}x" if name in table and base else "    -"


def print_report(res: dict) -> None:
    syn, rl = res["synthetic"], res["real"]
    head = (f"{'cache':22s} {'bits':>5s} {'x bf16':>6s} {'@d128':>5s} | {'syn cos':>8s} {'KL':>7s} {'top8':>5s} | {'real cos':>8s} "
            f"{'worst':>7s} {'KL':>7s} {'top8':>5s} | {'needle':>6s} | " + " ".join(f"dec{int(T)//1024}K" for T in res["decode_s"])
            + " (/fp32) | prefill (/bf16)")
    print(head)
    print("-" * len(head))
    for name, s in syn.items():
        r = rl[name]
        dec = " ".join(f"{_ratio(res['decode_s'][T], name, 'fp32 KVCache'):>6s}" for T in res["decode_s"])
        print(f"{name:22s} {r['bits']:5.2f} {16 / r['bits']:6.2f} {16 / s['bits']:5.2f} | {s['cos']:8.5f} {s['kl']:7.4f} {s['top8']:5.3f} | "
              f"{r['cos']:8.5f} {r['worst_cos']:7.4f} {r['kl']:7.4f} {r['top8']:5.3f} | "
              f"{res['needle'][name]:>2d}/{res['needle_depths']:<3d} | {dec} | {_ratio(res['prefill_s'], name)}")
    print("\nbits = nbytes*8 / elements on the real Q/K/V (head_dim 64: one fp16 scale per vector costs 0.25 bit); "
          "@d128 = ratio to bf16 on the synthetic set (head_dim 128); speed columns: time / fp32 (decode) or bf16 (prefill) "
          "cache's time, same run")
    print("fp32 decode seconds:", {T: round(t["fp32 KVCache"], 4) for T, t in res["decode_s"].items()},
          " prefill:", round(res["prefill_s"]["bf16 KVCache"], 3))
    print("\nunit-vector MSE at head_dim 128:")
    for b, row in res["mse"].items():
        print(f"  {b}: measured {row['plain']:.5f} (fitted scale {row['fit_scale']:.5f})  theory {row['theory']:.5f}  "
              f"ratio {row['plain'] / row['theory']:.3f}")
    lr = res["long"]
    print(f"\nlong run, Qwen3.5-4B geometry, {lr['tokens']} tokens, default setting: resident {lr['resident_gb']:.2f} GB "
          f"({lr['bits']:.3f} bits/elem; bf16 would be {lr['bf16_gb']:.1f} GB), encode {lr['encode_tokens_per_s']:.0f} "
          "token-layers/s, "
          f"decode step {lr['step_s']:.2f} s, peak extra during step {lr['step_peak_extra_gb']:.3f} GB")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes, ~2-3 minutes")
    ap.add_argument("--json", type=Path, help="write all figures to this JSON file")
    args = ap.parse_args()
    res = run(args.quick)
    print_report(res)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
