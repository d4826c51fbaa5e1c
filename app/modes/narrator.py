"""narrator: describes the camera for a blind or low-vision person — on demand ("what's in front of me", "read
this", "what colour is this", "is anyone there", follow-ups about the same picture) and, while narration is on,
a short sentence whenever the view changes (app/narrator/). Replies are spoken whole."""

from app.modes.base import LookPolicy, Mode, SpeechStyle
from app.modes.registry import register_mode
from app.narrator.prompts import NARRATOR_SYSTEM

# ON_REQUEST, not ALWAYS: a follow-up question reuses the picture already in the conversation (the session asks
# app.narrator.prompts.needs_new_frame(classify_request(text)) instead of the generic "what is this" words).
NARRATOR = register_mode(Mode(
    name="narrator",
    title="Narrator (describes the camera)",
    system_prompt=NARRATOR_SYSTEM,
    look=LookPolicy.ON_REQUEST,
    tools=(),
    speech=SpeechStyle.CONVERSATIONAL,
))
