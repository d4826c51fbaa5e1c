"""Build tiny random-weight models for tests and benchmarks, offline, in seconds.

    python scripts/make_tiny_models.py OUTDIR [NAME ...]

Writes OUTDIR/llm (dense qwen2-style text model), OUTDIR/vlm (qwen3_5: vision tower + Gated-DeltaNet/full-attention
hybrid) and every other registered builder (see scripts/tiny/), each a folder Hearth can load like a downloaded model.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tiny import build, builders  # noqa: E402


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence what libraries write straight to file descriptor 1 (the tokenizer trainer's progress bar prints blank
    lines when stdout is not a terminal), so that only this script's own lines reach stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def main(argv: list[str] | None = None) -> int:
    names = list(builders())
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", type=Path)
    ap.add_argument("names", nargs="*", choices=names + [[]], help=f"which to build (default all: {', '.join(names)})")
    args = ap.parse_args(argv)
    for name in args.names or names:
        t0 = time.perf_counter()
        with quiet_stdout():
            path = build(name, args.outdir)
        print(f"{name:8s} {time.perf_counter() - t0:6.2f} s  {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
