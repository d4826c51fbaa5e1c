"""Build tiny random-weight models for tests and benchmarks, offline, in seconds.

    python scripts/make_tiny_models.py OUTDIR [NAME ...]

Writes OUTDIR/llm (dense qwen2-style text model), OUTDIR/vlm (qwen3_5: vision tower + Gated-DeltaNet/full-attention
hybrid) and every other registered builder (see scripts/tiny/), each a folder Hearth can load like a downloaded model.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tiny import build, builders  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    names = list(builders())
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", type=Path)
    ap.add_argument("names", nargs="*", choices=names + [[]], help=f"which to build (default all: {', '.join(names)})")
    args = ap.parse_args(argv)
    for name in args.names or names:
        t0 = time.perf_counter()
        path = build(name, args.outdir)
        print(f"{name:8s} {time.perf_counter() - t0:6.2f} s  {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
