"""The real-LM measurement of test_real_lm.py, run in a child process; prints one JSON object.

    python tests/kvcache/real_lm_worker.py MODEL_FOLDER

A child process so that MLX can use Debian's OpenBLAS (LD_PRELOAD, set by the test when it exists): the float32
matmuls of the two chunked prefills are many times faster with it. Every layer's cache is compressed (the stress
case; sliding-window layers keep their window through the model's own mask).
"""

from __future__ import annotations

import json
import math
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

TOKENS, CHUNK, TAIL = 1536, 256, 64
FILES = ("json/decoder.py", "asyncio/locks.py", "email/message.py")


def _ids(tokenizer) -> list[int]:
    lib = Path(sysconfig.get_paths()["stdlib"])
    ids = tokenizer.encode("".join((lib / f).read_text(encoding="utf-8") for f in FILES))
    if len(ids) <= TOKENS + TAIL + 1:
        raise SystemExit(f"the standard-library text gives only {len(ids)} tokens")
    return ids[: TOKENS + TAIL + 1]


def _nll(model, ids: list[int], caches: list) -> tuple[float, float]:
    """Mean NLL of the chunked prefill of ids[:TOKENS+1], then of TAIL teacher-forced decode steps."""
    import mlx.core as mx

    x = mx.array(ids)
    total = 0.0
    for s in range(0, TOKENS, CHUNK):
        logits = model(x[None, s : s + CHUNK], cache=caches)[0]
        tgt = x[s + 1 : s + CHUNK + 1]
        total += float(mx.sum(mx.logsumexp(logits, -1) - mx.take_along_axis(logits, tgt[:, None], -1)[:, 0]))
    tail = 0.0
    for t in range(TOKENS, TOKENS + TAIL):
        logits = model(x[None, t : t + 1], cache=caches)[0, -1]
        tail += float(mx.logsumexp(logits) - logits[ids[t + 1]])
    return total / TOKENS, tail / TAIL


def measure(folder: Path) -> dict:
    from mlx_lm import load
    from mlx_lm.models.cache import KVCache

    from kvcache import CompressedKVCache, KVQuantConfig
    from kvcache.budget import AttentionGeometry, resident_bytes
    from kvcache.patch import install

    model, tokenizer = load(str(folder))
    install()
    ids = _ids(tokenizer)
    n = len(model.layers)
    ref, ref_tail = _nll(model, ids, [KVCache() for _ in range(n)])
    cfg = KVQuantConfig()
    caches = [CompressedKVCache(cfg) for _ in range(n)]
    got, got_tail = _nll(model, ids, caches)
    attn = model.layers[0].self_attn
    geom = AttentionGeometry(n, attn.n_kv_heads, attn.head_dim, attn.head_dim)
    segments = [s for c in caches for s in c.segments]
    return {
        "prefill": math.exp(got - ref), "decode": math.exp(got_tail - ref_tail),
        "key_bits": cfg.key_bits, "value_bits": cfg.value_bits, "layers": n, "kv_heads": attn.n_kv_heads,
        "head_dim": attn.head_dim, "tokens": TOKENS + TAIL,
        "coded_elements": sum(2 * s.length * attn.n_kv_heads * attn.head_dim for s in segments),
        "coded_bytes": sum(s.nbytes for s in segments),
        "cache_bytes": sum(c.nbytes for c in caches),
        "resident_bound": resident_bytes(geom, cfg, TOKENS + TAIL),
    }


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]))))
