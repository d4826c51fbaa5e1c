"""`hearth doctor`: is this machine ready? One line per check, OK / WARN / FAIL, with the fix."""

from __future__ import annotations

import argparse

from app.commands import command
from app.doctor import DoctorContext, Status, run_checks
from app.engine.runtime import build_store
from app.config.settings import load_settings


@command
class DoctorCommand:
    name = "doctor"
    help = "check platform, MLX, memory, audio, camera, screen and models, with fixes"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--network", action="store_true",
                            help="also try to reach the Hugging Face hub (3 s timeout); off: not checked")

    def run(self, args: argparse.Namespace) -> int:
        loaded = load_settings()
        for problem in loaded.problems:
            print(f"WARN settings     {problem.message}")
        checks = run_checks(DoctorContext(loaded.settings, build_store(loaded.settings), args.network))
        for c in checks:
            print(f"{c.status.value:4s} {c.name:13s} {c.detail}")
            if c.fix and c.status is not Status.OK:
                print(f"{'':18s}fix: {c.fix}")
        return 1 if any(c.status is Status.FAIL for c in checks) else 0
