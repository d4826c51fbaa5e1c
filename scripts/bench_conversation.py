"""Conversation core: time to first token with a live prompt cache vs a fresh prefill, resume from a snapshot, and
memory over many turns — all through Hearth's engine thread, compressed KV cache on, in one run.

    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 \\
        uv run python scripts/bench_conversation.py [--history 1024,8192,32768] [--models tiny,mid] [--turns 200] [--plain]

Models are random-weight qwen2 builds (tiny: scripts/tiny; mid: hidden 512, 6 layers), float32, compressed cache.
Goals: at 32K the reused turn is within 1.5x of the 1K turn and >= 10x faster than fresh; resume from snapshot
>= 10x faster than re-prefill at 32K; RSS flat over 200 turns.
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tiny import build  # noqa: E402
from tiny._tokenizer import token_id, write_tokenizer  # noqa: E402
from tiny.llm import qwen2_config, write_qwen2  # noqa: E402

WORDS = ("the kettle boils water when the element heats the metal plate and the bubbles rise through the pot "
         "while steam lifts the lid slowly").split()


def build_mid(outdir: Path) -> Path:
    target = outdir / "mid"
    if not (target / "config.json").exists():
        target.mkdir(parents=True, exist_ok=True)
        vocab = write_tokenizer(target)
        config = qwen2_config(vocab, hidden=512, layers=6, heads=8, kv_heads=4)
        config.update(intermediate_size=1408, max_position_embeddings=65536,
                      eos_token_id=token_id(target, "<|im_end|>"))
        write_qwen2(target, config)
    return target


def long_context(model: Path, tokens: int = 65536) -> Path:
    """The tiny build with room for 32K of history (this benchmark's own copy)."""
    config = json.loads((model / "config.json").read_text())
    config["max_position_embeddings"] = tokens
    (model / "config.json").write_text(json.dumps(config, indent=1))
    return model


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


class Bench:
    def __init__(self, model: Path, compress: bool = True) -> None:
        from dataclasses import replace

        from app.config.settings import Settings
        from app.engine.messages import LoadModel, ModelLoaded
        from app.engine.runtime import make_engine
        from models.base import Role

        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(model))
        self.events: queue.Queue = queue.Queue()
        settings = Settings()
        settings = replace(settings, memory=replace(settings.memory, compress_kv=compress))
        self.engine = make_engine(self.events.put, settings).start()
        self.engine.submit(LoadModel(Role.LLM, str(model)))
        self.wait(ModelLoaded)
        self.turn = 0

    def wait(self, kind):
        from app.engine.messages import ErrorEvent

        while True:
            event = self.events.get(timeout=3600)
            if isinstance(event, ErrorEvent):
                raise RuntimeError(event.message)
            if isinstance(event, kind):
                return event

    def generate(self, messages, conversation: str, max_tokens: int = 1):
        from app.engine.messages import Generate, GenerationDone
        from models.base import ChatRequest, SamplingParams

        self.turn += 1
        self.engine.submit(Generate(self.turn, ChatRequest(messages, SamplingParams(max_tokens=max_tokens)),
                                    conversation_id=conversation))
        return self.wait(GenerationDone)

    def history(self, tokens: int):
        """Alternating user / assistant messages of about ``tokens`` tokens in all (counted with the model's
        tokenizer, template included)."""
        from models.base import ChatMessage, Speaker

        messages, i = [ChatMessage(Speaker.SYSTEM, "You are a benchmark.")], 0
        while (n := self.count(messages)) < tokens:
            for _ in range(max(1, (tokens - n) // 450)):  # a message is ~300-400 tokens with these tokenizers
                text = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(120))
                messages.append(ChatMessage(Speaker.USER if i % 2 == 0 else Speaker.ASSISTANT, text))
                i += 1
        if messages[-1].speaker is Speaker.USER:
            messages.append(ChatMessage(Speaker.ASSISTANT, "Yes."))
        return tuple(messages)

    def count(self, messages) -> int:
        roles = [{"role": m.speaker.value, "content": m.text} for m in messages]
        text = self.tokenizer.apply_chat_template(roles, tokenize=False)
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def stop(self):
        self.engine.stop()


def reused_turn(bench: Bench, history, conv: str):
    """Warm the conversation's cache with ``history``, then the median of three turns asked over it."""
    from models.base import ChatMessage, Speaker

    bench.generate(history + (ChatMessage(Speaker.USER, "Warm up."),), conv)  # the cache now holds the history
    asked = [bench.generate(history + (ChatMessage(Speaker.USER, f"{q} what happens next?"),), conv)
             for q in ("And", "So", "Then")]  # each turn goes back over the last question and reply
    return sorted(asked, key=lambda d: d.stats.time_to_first_token_s)[1]


def plain_rows(model: Path, sizes: list[int], name: str) -> list[dict]:
    """The same reused turns with the plain float32 cache: what attention over the history costs by itself."""
    bench = Bench(model, compress=False)
    rows = []
    for size in sizes:
        done = reused_turn(bench, bench.history(size), f"plain-{name}-{size}")
        rows.append(dict(model=name, size=size, history=done.stats.prompt_tokens,
                         reused_ms=done.stats.time_to_first_token_s * 1e3))
    bench.stop()
    return rows


def ttft_rows(bench: Bench, sizes: list[int], name: str) -> list[dict]:
    from models.base import ChatMessage, Speaker

    rows = []
    for size in sizes:
        history = bench.history(size)
        question = ChatMessage(Speaker.USER, "And what happens next?")
        conv = f"{name}-{size}"
        reused = reused_turn(bench, history, conv)
        fresh = bench.generate(history + (question,), "")
        rows.append(dict(model=name, size=size, history=reused.stats.prompt_tokens, reused_ms=reused.stats.time_to_first_token_s * 1e3,
                         fed=reused.stats.fed_tokens, fresh_ms=fresh.stats.time_to_first_token_s * 1e3,
                         conversation=conv, messages=history + (question,)))
    return rows


def resume_row(bench: Bench, row: dict, folder: Path) -> dict:
    """The conversation of ``row`` (its cache holds the history) saved, dropped as by a restart, loaded, asked again;
    against the fresh prefill of the same prompt measured for ``row``."""
    from app.engine.messages import CacheRestored, CacheSaved, LoadCache, SaveCache

    conv, name = row["conversation"], row["model"]
    path = folder / f"{name}.safetensors"
    bench.engine.submit(SaveCache(conv, str(path)))
    saved = bench.wait(CacheSaved)
    bench.engine._live.clear()  # as after a restart (benchmark only: the engine thread is idle here)
    bench.engine.submit(LoadCache(conv, str(path)))
    restored = bench.wait(CacheRestored)
    resumed = bench.generate(row["messages"], conv)
    return dict(model=name, history=resumed.stats.prompt_tokens, save_ms=saved.seconds * 1e3, bytes=saved.nbytes,
                load_ms=restored.seconds * 1e3, resumed_ms=restored.seconds * 1e3 + resumed.stats.time_to_first_token_s * 1e3,
                reprefill_ms=row["fresh_ms"], fed=resumed.stats.fed_tokens)


def rss_rows(bench: Bench, turns: int) -> list[tuple[int, float, float]]:
    from models.base import ChatMessage, Speaker

    messages = (ChatMessage(Speaker.SYSTEM, "You are a benchmark."),)
    out = []
    for t in range(1, turns + 1):
        messages += (ChatMessage(Speaker.USER, f"Question number {t}: tell me about kettles."),)
        done = bench.generate(messages, "rss", max_tokens=8)
        messages += (ChatMessage(Speaker.ASSISTANT, done.text),)
        if t in (1, 10, 50, 100, 150, 200) or t == turns:
            out.append((t, done.stats.time_to_first_token_s * 1e3, rss_mb()))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", default="1024,8192,32768")
    parser.add_argument("--models", default="tiny,mid")
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--plain", action="store_true", help="also the reused turns with the plain float32 cache")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sizes = [int(s) for s in args.history.split(",")]
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = {"tiny": long_context(build("llm", folder)), "mid": build_mid(folder)}
        ttft, resume, plain = [], [], []
        for name in args.models.split(","):
            bench = Bench(paths[name])
            ttft += ttft_rows(bench, sizes, name)
            resume.append(resume_row(bench, ttft[-1], folder))
            if name == "tiny" and args.turns:
                results["rss"] = rss_rows(bench, args.turns)
            bench.stop()
            if args.plain:
                plain += plain_rows(paths[name], sizes, name)
    print_tables(ttft, resume, plain, results.get("rss"))
    results.update(ttft=[{k: v for k, v in r.items() if k != "messages"} for r in ttft], resume=resume, plain=plain)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


def print_tables(ttft: list[dict], resume: list[dict], plain: list[dict], rss) -> None:
    print("time to first token, compressed KV cache (ms)")
    print(f"{'model':6s} {'history':>8s} {'fed':>5s} {'reused':>9s} {'fresh':>10s} {'fresh/reused':>12s} {'vs 1K':>6s}")
    for row in ttft:
        base = next(r for r in ttft if r["model"] == row["model"])["reused_ms"]
        print(f"{row['model']:6s} {row['history']:8d} {row['fed']:5d} {row['reused_ms']:9.1f} {row['fresh_ms']:10.1f} "
              f"{row['fresh_ms'] / row['reused_ms']:11.1f}x {row['reused_ms'] / base:5.2f}x")
    if plain:
        print("\nreference: the same reused turns with the plain float32 cache (ms)")
        print(f"{'model':6s} {'history':>8s} {'reused':>9s} {'vs 1K':>6s} {'compressed/plain':>17s}")
        for row in plain:
            base = next(r for r in plain if r["model"] == row["model"])["reused_ms"]
            twin = next((r for r in ttft if r["model"] == row["model"] and r["size"] == row["size"]), None)
            ratio = f"{twin['reused_ms'] / row['reused_ms']:16.2f}x" if twin else f"{'-':>17s}"
            print(f"{row['model']:6s} {row['history']:8d} {row['reused_ms']:9.1f} {row['reused_ms'] / base:5.2f}x {ratio}")
    print("\nresume from snapshot vs re-prefill")
    print(f"{'model':6s} {'history':>8s} {'save ms':>8s} {'MB':>7s} {'load ms':>8s} {'resumed':>9s} {'reprefill':>10s} {'ratio':>7s}")
    for r in resume:
        print(f"{r['model']:6s} {r['history']:8d} {r['save_ms']:8.1f} {r['bytes'] / 2**20:7.1f} {r['load_ms']:8.1f} "
              f"{r['resumed_ms']:9.1f} {r['reprefill_ms']:10.1f} {r['reprefill_ms'] / r['resumed_ms']:6.1f}x")
    if rss:
        print("\ntiny model, one growing conversation: turn, time to first token (ms), RSS (MB)")
        for t, ms, mb in rss:
            print(f"  turn {t:4d}  {ms:8.1f} ms  {mb:8.1f} MB")

if __name__ == "__main__":
    sys.exit(main())
