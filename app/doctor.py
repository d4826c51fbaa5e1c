"""Health checks for `hearth doctor`: each check is one function returning a typed result with the fix."""

from __future__ import annotations

import enum
import platform
import shutil
from dataclasses import dataclass
from typing import Callable

from app.engine.memory import context_budget, total_memory_bytes
from app.config.settings import Settings
from models.base import ModelError, Role
from models.store import ModelStore, env_offline


class Status(enum.Enum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    status: Status
    name: str
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class DoctorContext:
    settings: Settings
    store: ModelStore
    probe_network: bool = False  # `hearth doctor --network`: try to reach the hub (a short timeout)


def check_platform(ctx: DoctorContext) -> Check:
    system, machine = platform.system(), platform.machine()
    detail = f"{system} {platform.release()} {machine}, Python {platform.python_version()}"
    if system == "Darwin" and machine == "arm64":
        return Check(Status.OK, "platform", detail)
    return Check(Status.WARN, "platform", detail, "Hearth is built for Apple-silicon Macs; elsewhere MLX runs on the "
                 "CPU and replies are much slower.")


def check_mlx(ctx: DoctorContext) -> Check:
    try:
        import mlx.core as mx
    except ImportError as exc:  # pragma: no cover - mlx is a hard dependency
        return Check(Status.FAIL, "mlx", str(exc), "Reinstall Hearth: `uv sync`.")
    if mx.metal.is_available():
        return Check(Status.OK, "mlx", f"MLX {mx.__version__} on the Metal GPU")
    return Check(Status.WARN, "mlx", f"MLX {mx.__version__} on the CPU (no Metal GPU)",
                 "Use an Apple-silicon Mac for real-time speed.")


def check_memory(ctx: DoctorContext) -> Check:
    total = total_memory_bytes()
    gb = total / 2**30
    preset = int(ctx.settings.memory.preset.value.removesuffix("gb"))
    detail = f"{gb:.1f} GB of memory; preset {preset} GB"
    if gb and gb + 0.5 < preset:
        return Check(Status.WARN, "memory", detail, f"Choose a smaller memory preset (memory.preset) than {preset} GB.")
    return Check(Status.OK, "memory", detail)


def check_context(ctx: DoctorContext) -> Check:
    from kvcache.config import KVCacheError

    mem = ctx.settings.memory
    try:
        b = context_budget(ctx.store, ctx.settings.models.chat, mem.kv_key_bits, mem.kv_value_bits, mem.compress_kv,
                           mem.extend_context)
    except KVCacheError as exc:
        return Check(Status.WARN, "context", str(exc))
    own = f"the model's own context is {b.model_context:,} tokens" if b.model_context else "the model's own context is unknown"
    if b.extension:
        own += f" (memory.extend_context: {b.extension})"
    detail = (f"{b.model}: usable context {b.usable:,} tokens — {own}; the memory budget "
              f"({b.budget_bytes / 2**30:.1f} GB) holds {b.tokens:,} with the {b.label} KV cache "
              f"(bf16 would hold {b.bf16_tokens:,})")
    if b.usable < 32768:
        return Check(Status.WARN, "context", detail, "Choose a smaller model or close other apps.")
    return Check(Status.OK, "context", detail)


def check_audio(ctx: DoctorContext) -> Check:
    try:
        import sounddevice as sd
    except OSError:
        return Check(Status.FAIL, "audio", "PortAudio library not found",
                     "Install it: `sudo apt-get install libportaudio2` (Linux); macOS wheels include it.")
    try:
        devices = sd.query_devices()
    except Exception as exc:  # noqa: BLE001 - PortAudio errors come in many types
        return Check(Status.FAIL, "audio", f"cannot list audio devices: {exc}", "Check the sound settings.")
    inputs = sum(1 for d in devices if d["max_input_channels"] > 0)
    outputs = sum(1 for d in devices if d["max_output_channels"] > 0)
    if not inputs or not outputs:
        return Check(Status.WARN, "audio", f"{inputs} microphones, {outputs} speakers",
                     "Connect a microphone and speakers; `hearth chat` works without them.")
    return Check(Status.OK, "audio", f"{inputs} microphones, {outputs} speakers")


def check_camera(ctx: DoctorContext) -> Check:
    from app.eyes import FrameError, open_source

    try:
        camera = open_source("camera")
    except ImportError:
        return Check(Status.WARN, "camera", "OpenCV is not installed", "Reinstall Hearth: `uv sync`.")
    except FrameError as exc:
        return Check(Status.WARN, "camera", "no camera available", _privacy_fix("Camera", str(exc).split(".")[0] + "."))
    camera.close()
    return Check(Status.OK, "camera", "camera available")


def check_screen(ctx: DoctorContext) -> Check:
    try:
        import mss

        with mss.mss() as grabber:
            mon = grabber.monitors[0]
        return Check(Status.OK, "screen", f"screen capture available ({mon['width']}x{mon['height']})")
    except Exception as exc:  # noqa: BLE001 - mss raises its own and OS errors
        return Check(Status.WARN, "screen", f"screen capture unavailable: {str(exc)[:80]}", _privacy_fix("Screen Recording"))


def _privacy_fix(what: str, lead: str = "") -> str:
    """The fix in the words of the platform the user is on."""
    if platform.system() == "Darwin":
        return f"{lead} Allow {what} for your terminal/Hearth in System Settings > Privacy & Security.".strip()
    if what == "Camera":
        return f"{lead} Connect a camera (a /dev/video* device your user may read); image files still work.".strip()
    return "Run Hearth in a desktop session (X11: $DISPLAY must be set); image files still work."


def check_speech_engine(ctx: DoctorContext) -> Check:
    if shutil.which("espeak-ng"):
        return Check(Status.OK, "espeak-ng", "instant voice available")
    return Check(Status.WARN, "espeak-ng", "espeak-ng not found",
                 "Install it (`brew install espeak-ng` or `sudo apt-get install espeak-ng`) for the instant voice.")


ROLE_LABELS = {Role.VLM: "chat model", Role.STT: "speech model", Role.TTS: "voice"}


def _model_check(ctx: DoctorContext, role: Role, model: str) -> Check:
    label = ROLE_LABELS.get(role, role.value)
    try:
        folder = ctx.store.resolve(model)
    except ModelError as exc:
        return Check(Status.FAIL, label, f"{model} is not installed", str(exc))
    if role is Role.VLM:
        sees = "sees images" if "vision_config" in (folder.config or {}) else "text only"
        return Check(Status.OK, label, f"{model}, {sees} ({folder.path})")
    return Check(Status.OK, label, f"{model} ({folder.path})")


def check_models(ctx: DoctorContext) -> list[Check]:
    m = ctx.settings.models
    return [_model_check(ctx, role, name) for role, name in ((Role.VLM, m.chat), (Role.STT, m.stt), (Role.TTS, m.tts))]


def check_offline(ctx: DoctorContext) -> Check:
    if ctx.settings.models.offline or env_offline():
        return Check(Status.OK, "network", "offline mode: Hearth will not use the network at all")
    if not ctx.probe_network:
        return Check(Status.OK, "network", "online mode (the hub was not checked: `hearth doctor --network` "
                     "tries it); conversations never leave the machine")
    if hub_reachable():
        return Check(Status.OK, "network", "the Hugging Face hub answers: models can be downloaded")
    return Check(Status.WARN, "network", "can't reach the Hugging Face hub",
                 "Check the connection or proxy, or copy models over and `hearth models import` them.")


def hub_reachable(host: str = "huggingface.co", timeout: float = 3.0) -> bool:
    import socket

    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def check_policy(ctx: DoctorContext) -> list[Check]:
    """"Managed by your organization" and the locked settings, when an administrator's policy is in force."""
    from app.policy.doctor_check import policy_checks  # imports this module: keep the import here

    return policy_checks(ctx.settings)


CHECKS: tuple[Callable[[DoctorContext], Check | list[Check]], ...] = (
    check_policy, check_platform, check_mlx, check_memory, check_context, check_audio, check_camera, check_screen,
    check_speech_engine, check_models, check_offline,
)


def run_checks(ctx: DoctorContext) -> list[Check]:
    out: list[Check] = []
    for fn in CHECKS:
        result = fn(ctx)
        out.extend(result if isinstance(result, list) else [result])
    return out

