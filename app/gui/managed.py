"""The organization's policy as the window shows it: a "Managed by your organization" panel listing what is locked
and restricted, the locked settings (read-only in the Settings dialog, the user's own value kept on save), and
whether the camera and the screen may be used."""

from __future__ import annotations

from dataclasses import dataclass, is_dataclass, replace
from typing import Any

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.config.settings import Settings
from app.policy.apply import LockedSetting, describe_policy

SETTING_NAMES = {"models.offline": "Offline mode", "eyes.camera": "Camera", "eyes.screen": "Screen capture"}


@dataclass(frozen=True)
class ManagedView:
    managed: bool
    explanation: str  # "Managed by your organization (…)." or why it runs locked down
    source: str  # where the policy came from ("policy file: /etc/hearth/policy.toml")
    broken: bool  # the policy file is broken: Hearth runs locked down
    locked: tuple[LockedSetting, ...]
    restrictions: tuple[str, ...]  # "Camera: off", "Modes: assistant, coding", …
    camera_allowed: bool = True
    screen_allowed: bool = True


def managed_view(settings: Settings) -> ManagedView:
    """What the policy in force means for this window (unmanaged desks: nothing is locked or restricted)."""
    from app.policy.startup import current, effective_settings

    ctx = current()
    locked = effective_settings(settings)[1]
    lines = tuple(f"{line.key.capitalize()}: {line.value}" for line in describe_policy(ctx.policy) if line.restricted)
    return ManagedView(ctx.loaded.managed, ctx.loaded.explain(), ctx.loaded.source.describe(), ctx.loaded.fail_closed,
                       locked, lines,
                       ctx.policy.frame_source_allowed("camera"), ctx.policy.frame_source_allowed("screen"))


def locked_text(item: LockedSetting) -> str:
    value = ("on" if item.value else "off") if isinstance(item.value, bool) else str(item.value)
    return f"{SETTING_NAMES.get(item.key, item.key)}: {value} ({item.reason})"


def lock_reason(item: LockedSetting) -> str:
    return f"Managed by your organization: {item.reason}."


def with_value(settings: Any, key: str, value: Any) -> Any:
    """``settings`` with the dotted ``key`` set to ``value`` (unchanged when it has no such key)."""
    head, _, rest = key.partition(".")
    if not is_dataclass(settings) or not hasattr(settings, head):
        return settings
    inner = with_value(getattr(settings, head), rest, value) if rest else value
    return replace(settings, **{head: inner})


def value_of(settings: Any, key: str) -> Any:
    for part in key.split("."):
        settings = getattr(settings, part)
    return settings


def keep_own_values(new: Settings, own: Settings, locked: tuple[LockedSetting, ...]) -> Settings:
    """Locked settings keep the user's own value (what their file says), never the policy's forced one."""
    for item in locked:
        try:
            new = with_value(new, item.key, value_of(own, item.key))
        except AttributeError:
            continue
    return new


class ManagedPanel(QWidget):
    """The sidebar's "Managed by your organization" panel (hidden on unmanaged desks)."""

    def __init__(self, view: ManagedView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.setAccessibleName("Managed by your organization")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        text = view.explanation if view.broken else f"Set by the {view.source}."
        self.explanation = QLabel(text, wordWrap=True)
        layout.addWidget(self.explanation)
        items = [f"Locked: {locked_text(item)}" for item in view.locked] + [f"• {line}" for line in view.restrictions]
        self.lines = [QLabel(text, objectName="hint", wordWrap=True) for text in items]
        for label in self.lines:
            layout.addWidget(label)
        self.setAccessibleDescription(" ".join([view.explanation] + items))
        self.setToolTip(view.explanation)
