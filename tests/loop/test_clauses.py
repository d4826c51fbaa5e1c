from __future__ import annotations

import random

from app.speech.segmenter import cut_clauses
from app.speech.segmenter import segment

REPLY = ("Sure! Here is the plan, step by step. First, open the file. Then run this:\n"
         "```python\nprint('hi')\n```\nThat prints hi. Dr. Smith agrees it costs $3.50, e.g. for 2 kg.")


def stream(text, seed):
    rng, pending, spoken, first = random.Random(seed), "", [], True
    i = 0
    while i < len(text):
        n = rng.randint(1, 6)
        clauses, pending = cut_clauses(pending + text[i:i + n], first, final=False)
        spoken += clauses
        first = first and not clauses
        i += n
    clauses, _ = cut_clauses(pending, first, final=True)
    return spoken + list(clauses)


def test_streaming_in_random_pieces_says_what_the_whole_text_says():
    whole = [c.text for c in segment(REPLY)]
    for seed in range(20):
        assert stream(REPLY, seed) == whole


def test_first_clause_comes_early_and_rest_is_kept():
    clauses, rest = cut_clauses("Sure, I can help with that", first=True, final=False)
    assert clauses and clauses[0].startswith("Sure")
    assert rest.strip().startswith("I can help")


def test_code_is_never_read_out():
    spoken = " ".join(stream(REPLY, 3))
    assert "print(" not in spoken and "```" not in spoken
