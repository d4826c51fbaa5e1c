"""`hearth models keygen|bundle|check-bundle` and the policy-checked `hearth models import` (wired into models.py).

Not a command of its own: ``app/commands/models.py`` adds these with ``add_bundle_parsers(sub)`` and merges
``BUNDLE_ACTIONS`` into its action table; each action has the models command's signature ``(store, args) -> int``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable

from app.audit.log import AuditKind
from app.policy.startup import current
from app.units import human_bytes
from models.base import ModelError
from models.bundle import bundle_name, check_import, generate_keypair, load_private_key, make_bundle
from models.store import ModelStore

PASSPHRASE_ENV = "HEARTH_SIGNING_PASSPHRASE"  # optional: encrypts (keygen) / unlocks (bundle) the signing key


def _passphrase() -> bytes | None:
    value = os.environ.get(PASSPHRASE_ENV, "")
    return value.encode() if value else None


def do_keygen(store: ModelStore | None, args: argparse.Namespace) -> int:
    public = generate_keypair(Path(args.keyfile), _passphrase())
    print(f"Signing key written to {args.keyfile} (keep it on the signing machine; never copy it to desks).")
    print(f"Public key in {args.keyfile}.pub. Put it in the policy:\n  trusted_keys = [\"{public}\"]")
    return 0


def do_bundle(store: ModelStore, args: argparse.Namespace) -> int:
    folder = store.resolve(args.model).path
    if not folder.is_dir():
        raise ModelError(f"{args.model} is built in; there is nothing to bundle.")
    key = load_private_key(Path(args.key), _passphrase())
    name = folder.name if Path(args.model).expanduser().is_dir() else args.model  # the name it is imported as
    result = make_bundle(folder, Path(args.out), name, key)
    print(f"Bundle of {name}: {result.files} files, {human_bytes(result.size_bytes)}, in {result.folder}")
    print(f"Signed by {result.public_key}. To allow exactly this model, add to the policy:\n"
          f"  allowed_models = [\"{result.manifest_hash}\"]")
    return 0


def do_check_bundle(store: ModelStore | None, args: argparse.Namespace) -> int:
    decision = check_import(Path(args.folder), current().policy)
    report = decision.report
    for problem in report.problems if report else ():
        print(f"BAD  {problem.describe()}")
    if report is not None:
        print(f"manifest hash {report.manifest_hash}; signed by {report.signed_by or 'no trusted key'}; "
              f"{report.files_checked} files checked")
    print("OK: this folder may be imported here." if decision.allowed else decision.message)
    return 0 if decision.allowed else 1


def checked_import(do_import: "Action") -> "Action":
    """`hearth models import` behind the policy: a refused folder is reported and audited, an allowed one is
    imported by ``do_import`` (names, --force, confirmation) and audited with its manifest hash."""

    def run(store: ModelStore, args: argparse.Namespace) -> int:
        src = Path(args.folder).expanduser()
        ctx = current()
        decision = check_import(src, ctx.policy)
        if not decision.allowed:
            ctx.audit.record(AuditKind.IMPORT, allowed=False, source=str(src), manifest_hash=decision.manifest_hash,
                             reason=decision.message)
            print(decision.message, file=sys.stderr)
            return 2
        if decision.manifest_hash and not getattr(args, "as_name", None):  # a bundle knows its model's name
            args = argparse.Namespace(**{**vars(args), "as_name": bundle_name(src)})
        code = do_import(store, args)
        signed_by = decision.report.signed_by if decision.report else None
        ctx.audit.record(AuditKind.IMPORT, allowed=code == 0, source=str(src), manifest_hash=decision.manifest_hash,
                         signed_by=signed_by)
        if code == 0 and decision.manifest_hash:
            print(f"Bundle {decision.manifest_hash[:12]}... verified.")
        return code

    return run


Action = Callable[[ModelStore, argparse.Namespace], int]
BUNDLE_ACTIONS: dict[str, Action] = {
    "keygen": do_keygen, "bundle": do_bundle, "check-bundle": do_check_bundle,
}


def add_bundle_parsers(sub: argparse._SubParsersAction) -> None:
    """Adds keygen, bundle and check-bundle to `hearth models` (its existing `import` parser is kept as is)."""
    keygen = sub.add_parser("keygen", help="make an Ed25519 signing key for model bundles (and its .pub)")
    keygen.add_argument("keyfile", help="where to write the private key (never overwritten)")
    bundle = sub.add_parser("bundle", help="write a model's folder with a signed manifest, for offline desks")
    bundle.add_argument("model", help="catalog name, Hugging Face id or folder")
    bundle.add_argument("out", help="the new bundle folder")
    bundle.add_argument("--key", required=True, help="the private key from `hearth models keygen`")
    check = sub.add_parser("check-bundle", help="verify a bundle's signature and files against this desk's policy")
    check.add_argument("folder")
