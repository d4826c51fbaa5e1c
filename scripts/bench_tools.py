"""Benchmarks of the agent tools (no model): search on a 10,000-file tree against `grep -r`, the overhead of one
tool round trip (parse -> prepare -> worker thread -> result) against a bare queue hop, and the token saving of
HTML -> Markdown on real HTML pages found on this machine.

    uv run python scripts/bench_tools.py [--files 10000] [--repeat 5]

Timings are medians of --repeat runs, all measured in the same run (ratios are what to read on a shared machine).
"""

from __future__ import annotations

import argparse
import queue
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from app.tools._html import html_to_markdown  # noqa: E402
from app.tools.base import ToolCall, ToolContext  # noqa: E402
from app.tools.calls import prepare_call  # noqa: E402
from app.tools.registry import all_tools, spec_of  # noqa: E402
from app.tools.runner import ToolRunner  # noqa: E402
from app.tools.search import find  # noqa: E402
from app.tools.workspace import Workspace  # noqa: E402
from models.tool_format import ToolCallParser, ToolFormat  # noqa: E402

WORDS = ("load", "save", "parse", "render", "token", "cache", "model", "engine", "voice", "frame", "queue", "event",
         "state", "reply", "audio", "clause", "buffer", "config", "thread", "window")
NEEDLE = "def hearth_needle_"

HTML_CANDIDATES = (
    "/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html/std/vec/struct.Vec.html",
    "/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html/book/ch08-01-vectors.html",
    "/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html/rustdoc/write-documentation/"
    "documentation-tests.html",
    "/root/.pyenv/versions/3.11.7/lib/python3.11/idlelib/help.html",
    "/usr/share/doc/python3/python-policy.html",
    "/usr/share/doc/libxslt1-dev/html/html/libxslt-templates.html",
    "/usr/share/doc/base-passwd/users-and-groups.html",
)


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def make_tree(root: Path, files: int, seed: int = 0) -> int:
    """``files`` Python-looking files in 100-file folders; every 500th holds the needle. Returns needle count."""
    rng = random.Random(seed)
    needles = 0
    for i in range(files):
        folder = root / f"pkg{i // 100:03d}"
        folder.mkdir(exist_ok=True)
        lines = [f"def {rng.choice(WORDS)}_{rng.choice(WORDS)}_{j}(x):\n    return x + {j}\n" for j in range(20)]
        if i % 500 == 0:
            lines.insert(10, f"{NEEDLE}{i}(x):\n    return x\n")
            needles += 1
        (folder / f"mod{i:05d}.py").write_text("".join(lines))
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    env = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@x", "PATH": "/usr/bin:/bin", "HOME": str(root)}
    subprocess.run(["git", "commit", "-q", "-m", "tree"], cwd=root, check=True, env=env)
    return needles


def bench_search(files: int, repeat: int) -> list[tuple[str, float, str]]:
    tmp = Path(tempfile.mkdtemp(prefix="hearth-bench-tools-"))
    try:
        t0 = time.perf_counter()
        needles = make_tree(tmp, files)
        print(f"[tree: {files} files, {needles} needles, built in {time.perf_counter() - t0:.1f} s]")
        ws = Workspace.at(tmp)
        pattern = NEEDLE + r"[0-9]+\("  # ERE, PCRE and Python read it alike
        grep = median_ms(lambda: subprocess.run(["grep", "-rnE", "--exclude-dir=.git", pattern, "."], cwd=tmp,
                                                capture_output=True, check=True), repeat)
        hits_git = find(ws, pattern, tmp, "", False, 100)
        hits_py = find(ws, pattern, tmp, "", False, 100, prefer_git=False)
        assert len(hits_git.lines) == len(hits_py.lines) == needles, (hits_git, hits_py)
        git_ms = median_ms(lambda: find(ws, pattern, tmp, "", False, 100), repeat)
        py_ms = median_ms(lambda: find(ws, pattern, tmp, "", False, 100, prefer_git=False), repeat)
        ctx = ToolContext(workspace=tmp)
        list_ms = median_ms(lambda: all_tools()["list_files"].run({"limit": 2000}, ctx), repeat)
        shutil.rmtree(tmp / ".git")
        walk_py_ms = median_ms(lambda: find(ws, pattern, tmp, "", False, 100, prefer_git=False), repeat)
        rows = [
            ("grep -rnE (baseline)", grep, "1.00x"),
            ("search: git grep -P", git_ms, f"{git_ms / grep:.2f}x"),
            ("search: Python scan (git ls-files)", py_ms, f"{py_ms / grep:.2f}x"),
            ("search: Python scan (no git, .gitignore walk)", walk_py_ms, f"{walk_py_ms / grep:.2f}x"),
            ("list_files (git ls-files)", list_ms, f"{list_ms / grep:.2f}x"),
        ]
        return rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench_round_trip(repeat: int) -> list[tuple[str, float, str]]:
    tmp = Path(tempfile.mkdtemp(prefix="hearth-bench-rt-"))
    try:
        (tmp / "main.py").write_text("def add(a, b):\n    return a + b\n" * 20)
        tools = all_tools()
        specs = [spec_of(t) for t in tools.values()]
        fmt = ToolFormat.named("qwen3_coder")
        text = ("Let me read it.\n\n<tool_call>\n<function=read_file>\n<parameter=path>\nmain.py\n</parameter>\n"
                "<parameter=start_line>\n1\n</parameter>\n<parameter=end_line>\n20\n</parameter>\n</function>\n"
                "</tool_call>")
        ctx = ToolContext(workspace=tmp)
        results: queue.Queue = queue.Queue()
        runner = ToolRunner(tools, results.put)
        hop: queue.Queue = queue.Queue()

        def parse_prepare() -> ToolCall:
            parser = ToolCallParser(fmt, specs)
            calls = [c for i in range(0, len(text), 4) for c in parser.feed(text[i:i + 4]).calls]
            call = prepare_call(calls[0], tools)
            assert isinstance(call, ToolCall)
            return call

        def full() -> None:
            runner.submit(parse_prepare(), ctx)
            assert results.get(timeout=10).ok

        def bare_hop() -> None:
            threading.Thread(target=hop.put, args=(1,)).start()
            hop.get(timeout=10)

        def queue_hop() -> None:
            runner.submit(ToolCall("x", "nope", {}), ctx)  # unknown tool: the runner's own cost only
            results.get(timeout=10)

        reps = max(repeat * 20, 50)
        base = median_ms(bare_hop, reps)
        rows = [
            ("thread start + queue hop (baseline)", base, "1.00x"),
            ("parse (streamed, 4-char deltas) + prepare", median_ms(parse_prepare, reps), ""),
            ("runner hop (no tool work)", median_ms(queue_hop, reps), ""),
            ("read_file tool alone", median_ms(lambda: tools["read_file"].run({"path": "main.py"}, ctx), reps), ""),
            ("round trip: parse -> prepare -> worker -> result", median_ms(full, reps), ""),
        ]
        runner.close()
        return [(n, ms, r or f"{ms / base:.2f}x") for n, ms, r in rows]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def html_pages(limit: int = 6) -> list[Path]:
    pages = [Path(p) for p in HTML_CANDIDATES if Path(p).is_file()]
    if len(pages) < 3:
        found = subprocess.run(["find", "/usr/share/doc", "/usr/lib/python3", "-name", "*.html", "-size", "+8k"],
                               capture_output=True, text=True).stdout.split()
        pages += [Path(p) for p in found[:limit]]
    return pages[:limit]


def bench_html(tokenizer) -> list[tuple[str, int, int, int, int, str]]:
    rows = []
    for page in html_pages():
        html = page.read_text(errors="replace")
        t0 = time.perf_counter()
        _, md = html_to_markdown(html)
        ms = (time.perf_counter() - t0) * 1000
        raw_tokens, md_tokens = len(tokenizer.encode(html)), len(tokenizer.encode(md))
        rows.append((page.name, len(html), len(md), raw_tokens, md_tokens,
                     f"{100 * (1 - md_tokens / raw_tokens):.1f} % ({ms:.0f} ms)"))
    return rows


def load_tokenizer():
    from tiny import build

    from transformers import AutoTokenizer

    folder = build("llm", Path(tempfile.gettempdir()) / "hearth-bench-tools-tiny")
    return AutoTokenizer.from_pretrained(str(folder))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    print(f"\n## Search over {args.files} files (median of {args.repeat})")
    print(f"{'what':48s} {'ms':>9s} {'vs grep -r':>11s}")
    for name, ms, ratio in bench_search(args.files, args.repeat):
        print(f"{name:48s} {ms:9.1f} {ratio:>11s}")

    print("\n## Tool round trip, model excluded (goal <= 10 ms)")
    print(f"{'what':48s} {'ms':>9s} {'vs baseline':>11s}")
    for name, ms, ratio in bench_round_trip(args.repeat):
        print(f"{name:48s} {ms:9.3f} {ratio:>11s}")

    print("\n## HTML -> Markdown (tokens: the tiny byte-level BPE of scripts/tiny; chars for any tokenizer)")
    print(f"{'page':34s} {'html chars':>10s} {'md chars':>9s} {'html tok':>9s} {'md tok':>8s}  saving")
    for name, hc, mc, ht, mt, saving in bench_html(load_tokenizer()):
        print(f"{name[:34]:34s} {hc:10d} {mc:9d} {ht:9d} {mt:8d}  {saving}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
