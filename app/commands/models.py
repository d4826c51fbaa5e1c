"""`hearth models list|pull|import|verify|rm`: the model store from the terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from app.commands import command
from app.commands.bundle import BUNDLE_ACTIONS, add_bundle_parsers, checked_import
from app.engine.runtime import build_store
from app.config.settings import load_settings
from app.units import human_bytes
from models import catalog
from models.base import ModelError
from models.store import ModelStore


def do_list(store: ModelStore, args: argparse.Namespace) -> int:
    installed = store.installed()
    names = {m.name.lower() for m in installed}
    print(f"{'MODEL':48s} {'ROLE':5s} {'SIZE':>9s}  WHERE")
    for m in installed:
        role = m.role.value if m.role else "?"
        print(f"{m.name:48s} {role:5s} {human_bytes(m.size_bytes):>9s}  {m.folder}")
    if not installed:
        print("(no models installed)")
    print("\nCatalog (install with `hearth models pull NAME`):")
    for e in catalog.CATALOG:
        state = "built in" if e.builtin else ("installed" if e.repo_id.lower() in names else f"{e.size_gb:g} GB")
        print(f"  {e.name:15s} {e.role.value:5s} {e.memory.value:>2d} GB+  {state:10s} {e.description}")
    return 0


def do_pull(store: ModelStore, args: argparse.Namespace) -> int:
    m = store.pull(args.model)
    print(f"Installed {m.name} ({human_bytes(m.size_bytes)}) at {m.folder}")
    return 0


def confirm(question: str) -> bool:
    """Ask on the terminal; with no terminal (scripts, pipes) the answer is no."""
    if not sys.stdin.isatty():
        return False
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def do_import(store: ModelStore, args: argparse.Namespace) -> int:
    replace = args.force
    if not replace:
        existing = store.existing_import(Path(args.folder), args.as_name)
        if existing is not None:
            replace = confirm(f"A model named {existing} is already installed. Replace it?")
            if not replace and sys.stdin.isatty():
                print("Nothing changed.", file=sys.stderr)
                return 1
    m = store.import_folder(Path(args.folder), args.as_name, replace=replace)
    print(f"Imported {m.name} ({human_bytes(m.size_bytes)}, role {m.role.value if m.role else '?'}) into {m.folder}")
    return 0


def do_verify(store: ModelStore, args: argparse.Namespace) -> int:
    report = store.verify(args.model)
    for check in report.problems:
        print(f"{check.state.value.upper():16s} {check.relpath}")
    if report.ok:
        print(f"OK: all {len(report.checks)} files of {args.model} match their checksums.")
        return 0
    print(f"{args.model} is damaged. Reinstall it: `hearth models rm {args.model}` then pull or import it again.",
          file=sys.stderr)
    return 1


def do_rm(store: ModelStore, args: argparse.Namespace) -> int:
    print(f"Removed {store.remove(args.model)}")
    return 0


ACTIONS: dict[str, Callable[[ModelStore, argparse.Namespace], int]] = {
    "list": do_list, "pull": do_pull, "import": checked_import(do_import), "verify": do_verify, "rm": do_rm,
}


@command
class ModelsCommand:
    name = "models"
    help = "list, download, import, verify or remove models"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        sub.add_parser("list", help="installed models with role and size, and the catalog")
        sub.add_parser("pull", help="download a model from the Hugging Face hub").add_argument("model")
        imp = sub.add_parser("import", help="install a model folder copied by hand (offline machines)")
        imp.add_argument("folder")
        imp.add_argument("--as", dest="as_name", help="name or Hugging Face id to install it as (default: folder name)")
        imp.add_argument("--force", action="store_true", help="replace an installed model of the same name")
        sub.add_parser("verify", help="check every file against its sha256").add_argument("model")
        sub.add_parser("rm", help="delete an installed model").add_argument("model")
        add_bundle_parsers(sub)

    def run(self, args: argparse.Namespace) -> int:
        loaded = load_settings()
        for problem in loaded.problems:
            print(problem.message, file=sys.stderr)
        try:
            return {**ACTIONS, **BUNDLE_ACTIONS}[args.action](build_store(loaded.settings), args)
        except ModelError as exc:
            print(exc, file=sys.stderr)
            return 2
