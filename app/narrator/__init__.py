"""Narrator: the parts of the camera-describing mode that need no model — a cheap scene-change detector
(change.py), the narration policy (scheduler.py), a frame sampler thread (sampler.py), the prompts and the
safety caveat (prompts.py) and generated audio cues (earcons.py). All values are frozen; the session wires them."""
