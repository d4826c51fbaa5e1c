"""assistant: today's behaviour — a spoken conversation, the camera/screen when asked about, no tools."""

from app.conversations.transcript import DEFAULT_SYSTEM
from app.modes.base import LookPolicy, Mode, SpeechStyle
from app.modes.registry import register_mode

ASSISTANT = register_mode(Mode(
    name="assistant",
    title="Assistant",
    system_prompt=DEFAULT_SYSTEM,
    look=LookPolicy.ON_REQUEST,
    tools=(),
    speech=SpeechStyle.CONVERSATIONAL,
))
