"""The conversation's clause cutter (its ``ClauseCutter``): the pure form of the speech segmenter."""

from __future__ import annotations

from app.speech_segmenter import cut_clauses

__all__ = ["cut_clauses"]
