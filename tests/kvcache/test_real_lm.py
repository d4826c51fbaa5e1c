"""The compressed cache on a real trained model: perplexity bound at the default bits (Gemma 3 270M, float32).

The folder is the one scripts/real_models.py converts: $HEARTH_REAL_MODELS/gemma3-270m, else
$XDG_CACHE_HOME/hearth/real-models/gemma3-270m (~/.cache/...). Skipped when it is not there.
"""

from __future__ import annotations

import math
import os
import sysconfig
from pathlib import Path

import mlx.core as mx
import pytest

from kvcache import CompressedKVCache, KVQuantConfig
from kvcache.budget import AttentionGeometry, resident_bytes
from kvcache.patch import install

pytestmark = [pytest.mark.real, pytest.mark.slow]

TOKENS, CHUNK, TAIL = 1536, 256, 64
FILES = ("json/decoder.py", "asyncio/locks.py", "email/message.py")


def _folder() -> Path:
    root = os.environ.get("HEARTH_REAL_MODELS")
    if root is None:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hearth" / "real-models"
    return Path(root) / "gemma3-270m"


@pytest.fixture(scope="module")
def gemma():
    folder = _folder()
    if not (folder / "config.json").is_file():
        pytest.skip(f"real Gemma 3 270M not converted at {folder} (scripts/real_models.py)")
    from mlx_lm import load

    model, tokenizer = load(str(folder))
    install()
    lib = Path(sysconfig.get_paths()["stdlib"])
    ids = tokenizer.encode("".join((lib / f).read_text(encoding="utf-8") for f in FILES))
    assert len(ids) > TOKENS + TAIL + 1
    return model, ids[: TOKENS + TAIL + 1]


def _nll(model, ids: list[int], caches: list) -> tuple[float, float]:
    """Mean NLL of the chunked prefill of ids[:TOKENS+1], then of TAIL teacher-forced decode steps."""
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


def test_default_bits_stay_within_2_percent_perplexity_on_every_layer(gemma):
    """Stress case: every layer's cache is compressed (sliding layers keep their window through the model's
    own mask), the goal's setting. Sizes from the cache's own bytes: the codes, and the whole cache against the
    budget estimate (at 3K tokens scripts/bench_kv_ppl.py measures 4.21 bits/element, window included)."""
    from mlx_lm.models.cache import KVCache

    model, ids = gemma
    n = len(model.layers)
    ref, ref_tail = _nll(model, ids, [KVCache() for _ in range(n)])
    cfg = KVQuantConfig()
    caches = [CompressedKVCache(cfg) for _ in range(n)]
    got, got_tail = _nll(model, ids, caches)
    prefill, decode = math.exp(got - ref), math.exp(got_tail - ref_tail)
    print(f"real LM, every layer compressed: prefill perplexity {100 * (prefill - 1):+.2f} %, decode {100 * (decode - 1):+.2f} %")
    assert prefill <= 1.02 and decode <= 1.05
    assert prefill != 1.0, "the cache must actually be compressed"
    attn = model.layers[0].self_attn
    geom = AttentionGeometry(n, attn.n_kv_heads, attn.head_dim, attn.head_dim)
    elements = n * (TOKENS + TAIL) * attn.n_kv_heads * 2 * attn.head_dim
    segments = [s for c in caches for s in c.segments]
    coded = sum(2 * s.length * attn.n_kv_heads * attn.head_dim for s in segments)
    assert sum(s.nbytes for s in segments) * 8 / coded == pytest.approx((cfg.key_bits + cfg.value_bits) / 2 + 16 / attn.head_dim)
    assert sum(c.nbytes for c in caches) <= resident_bytes(geom, cfg, TOKENS + TAIL) + n * 4 * attn.head_dim
    assert sum(c.nbytes for c in caches) * 8 / elements < 16 / 3.5  # window and sinks included, at 1.6K tokens
