"""`hearth policy show|check`: the organization's effective policy and where it comes from; checking a policy file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands import command
from app.config.settings import load_settings
from app.policy.apply import apply_policy, describe_policy
from app.policy.model import LoadedPolicy, PolicySource, SourceKind
from app.policy.parse import read_policy_file
from app.policy.startup import audit_dir, current


def print_policy(loaded: LoadedPolicy) -> None:
    print("Managed by your organization." if loaded.managed else "Not managed: no organization policy installed.")
    print(f"source       {loaded.source.describe()}")
    if loaded.fail_closed:
        print("state        BROKEN: running locked down (most restrictive) until it is fixed")
    for problem in loaded.problems:
        print(f"{'problem' if problem.fatal else 'warning':12s} {problem.message}")
    for line in describe_policy(loaded.policy):
        print(f"{line.key:12s} {line.value}{'  (restricted)' if line.restricted else ''}")
    for key in sorted(loaded.policy.allowed_models or ()):
        print(f"{'':12s} allowed model {key}")
    for key in loaded.policy.trusted_keys:
        print(f"{'':12s} trusted key {key}")
    if loaded.managed:
        print(f"audit folder {audit_dir(loaded.policy)}")


def do_show(args: argparse.Namespace) -> int:
    loaded = current().loaded
    print_policy(loaded)
    _, locked = apply_policy(load_settings().settings, loaded.policy)
    for item in locked:
        print(f"locked       {item.key} = {item.value!r} ({item.reason})")
    return 0


def do_check(args: argparse.Namespace) -> int:
    path = Path(args.file)
    policy, problems = read_policy_file(path)
    print_policy(LoadedPolicy(policy, PolicySource(SourceKind.FILE, path), problems))
    if any(p.fatal for p in problems):
        print(f"{path} is broken: installed as is, Hearth would run locked down.", file=sys.stderr)
        return 1
    return 0


@command
class PolicyCommand:
    name = "policy"
    help = "show the organization's policy in force (and its source), or check a policy file before deploying it"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        sub.add_parser("show", help="the effective policy, its source and the locked settings")
        sub.add_parser("check", help="parse a policy file (.toml or .plist) and list its problems").add_argument(
            "file")

    def run(self, args: argparse.Namespace) -> int:
        return {"show": do_show, "check": do_check}[args.action](args)
