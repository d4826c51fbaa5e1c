"""The organization's managed policy: model.py (values), parse.py / load.py (reading it), apply.py (over the
settings), netguard.py (hard offline), retention.py (old conversations), startup.py (all of it at start)."""

from app.policy.apply import LockedSetting, PolicyLine, apply_policy, describe_policy, is_locked
from app.policy.load import BUNDLE_ID, load_policy
from app.policy.model import LOCKDOWN, UNMANAGED, LoadedPolicy, Policy, PolicyProblem, PolicySource, SourceKind

__all__ = ["BUNDLE_ID", "LOCKDOWN", "UNMANAGED", "LoadedPolicy", "LockedSetting", "Policy", "PolicyLine",
           "PolicyProblem", "PolicySource", "SourceKind", "apply_policy", "describe_policy", "is_locked",
           "load_policy"]
