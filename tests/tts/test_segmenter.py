"""Clause segmentation of streamed LLM text: early first chunk, no false sentence ends, code and links never read."""

from __future__ import annotations

import pytest

from app.speech.segmenter import ClauseKind, ClauseSegmenter, SegmenterConfig, segment


def stream(text: str, step: int = 1, config: SegmenterConfig = SegmenterConfig()) -> list:
    """Feed ``text`` in ``step``-character deltas, as an LLM would, and collect every clause."""
    seg = ClauseSegmenter(config)
    out = []
    for i in range(0, len(text), step):
        out += seg.feed(text[i : i + step])
    return out + seg.flush()


def texts(clauses) -> list[str]:
    return [c.text for c in clauses]


def test_first_clause_is_cut_at_the_first_natural_break_before_the_sentence_ends():
    seg = ClauseSegmenter()
    assert seg.feed("Sure") == []
    assert seg.feed(",") == []  # not confirmed until the next character arrives
    first = seg.feed(" I can")
    assert texts(first) == ["Sure"]
    assert first[0].index == 0
    rest = seg.feed(" help with that. And more text follows here.") + seg.flush()
    assert texts(rest) == ["I can help with that.", "And more text follows here."]
    assert [c.index for c in rest] == [1, 2]


def test_later_clauses_are_sentences_and_tiny_ones_merge():
    out = segment("Hello there. This is the second sentence. Ok. Yes! And then a final longer sentence.")
    assert texts(out) == [
        "Hello there.",
        "This is the second sentence.",
        "Ok. Yes! And then a final longer sentence.",
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hi. Dr. Smith will see you at noon today. Then go.", ["Hi.", "Doctor Smith will see you at noon today.", "Then go."]),
        ("Hi. Fruit, e.g. apples and pears, is healthy. Eat it.", ["Hi.", "Fruit, for example apples and pears, is healthy.", "Eat it."]),
        ("Hi. Pi is about 3.14 in most cases you meet. Right.", ["Hi.", "Pi is about three point one four in most cases you meet.", "Right."]),
        ("Hi. That is, i.e. the U.S. one, the best choice here. Ok.", ["Hi.", "That is, that is the U S one, the best choice here.", "Ok."]),
        ("Hi. J. K. Rowling wrote seven long books in total. Wow.", ["Hi.", "J K Rowling wrote seven long books in total.", "Wow."]),
    ],
)
def test_abbreviations_initials_and_decimals_do_not_end_sentences(text, expected):
    assert texts(segment(text)) == expected
    assert texts(stream(text)) == expected


def test_lists_give_one_clause_per_item_and_drop_markers():
    text = "Steps:\n1. Preheat the oven.\n2. Mix flour and water\n- Bake for 20 min\n* Serve\n\nDone."
    assert texts(stream(text, step=3)) == [
        "Steps",
        "Preheat the oven.",
        "Mix flour and water",
        "Bake for twenty minutes",
        "Serve",
        "Done.",
    ]


def test_code_fence_becomes_one_short_mention_even_when_split_across_deltas():
    text = "Try this:\n```python\nprint('one. two. three')\nfor i in range(3):\n    x = i\n```\nThat prints it. Nice!"
    for step in (1, 2, 5, len(text)):
        out = stream(text, step)
        assert texts(out) == ["Try this", "See the Python code on screen.", "That prints it. Nice!"], step
        code = [c for c in out if c.kind == ClauseKind.CODE]
        assert len(code) == 1 and "print('one. two. three')" in code[0].raw


def test_unclosed_code_fence_is_still_only_mentioned():
    out = stream("Here:\n```\nrm -rf /tmp/x; echo done. ok.\n")
    assert texts(out) == ["Here", "See the code on screen."]


def test_emoji_are_not_spoken_and_emoji_only_text_is_kept_in_the_next_raw():
    out = segment("Great job! 🎉🎉\n👍🏽\nLet's keep going with the next step 🚀.")
    assert texts(out) == ["Great job!", "Let's keep going with the next step."]
    assert "👍🏽" in out[1].raw


def test_very_long_sentence_without_punctuation_is_split_at_spaces_within_limits():
    words = [f"word{i}" for i in range(300)]
    text = " ".join(words)
    cfg = SegmenterConfig()
    out = stream(text, step=7)
    assert len(out[0].raw) <= cfg.first_max_chars + 1
    assert all(len(c.raw) <= cfg.max_chars + 1 for c in out)
    assert len(out) > 5
    # nothing lost or cut mid-word
    assert " ".join(c.raw.strip() for c in out).split() == words


def test_long_sentence_prefers_a_comma_to_a_space():
    text = "Hi. " + ", ".join(["this is a fairly long part"] * 12) + "."
    out = segment(text)
    assert all(c.raw.rstrip().endswith((",", ".")) for c in out)
    assert all(len(c.raw) <= SegmenterConfig().max_chars + 1 for c in out)


def test_urls_and_links_are_not_read_and_their_dots_do_not_split():
    text = "See https://docs.python.org/3/library/re.html for details. Or [the guide](http://x.io/a.b) now."
    out = segment(text)
    assert texts(out) == ["See a link to docs dot python dot org for details.", "Or the guide now."]
    assert not any("http" in t or "/" in t for t in texts(out))


def test_streaming_in_any_delta_size_equals_cutting_the_whole_text():
    text = (
        "Well, here's the plan. First, we test it etc. and then more. **Bold move!** Visit www.example.com. "
        "Prices rose 5% in 2024, e.g. from $3.50 to $3.68... Amazing?\n- one\n- two\n```sh\nls -la\n```\nBye."
    )
    whole = segment(text)
    for step in (1, 3, 11):
        assert stream(text, step) == whole


def test_flush_resets_for_the_next_reply():
    seg = ClauseSegmenter()
    assert texts(seg.feed("One thing, ") + seg.flush()) == ["One thing"]
    again = seg.feed("Two things, ") + seg.flush()
    assert [(c.index, c.text) for c in again] == [(0, "Two things")]


def test_nothing_speakable_gives_no_clause():
    assert segment("") == []
    assert segment("🎉 --- ***\n\n") == []


def test_pure_cutter_for_the_conversation_loop_matches_the_streaming_segmenter():
    from app.speech.segmenter import cut_clauses

    text = "Sure, here it is:\n```py\nx = 1. 2\n```\nDr. Who said hi. Then a longer second sentence here! 🎉 End"
    for step in (1, 4, 9):
        pending, spoken = "", []
        for i in range(0, len(text), step):
            clauses, pending = cut_clauses(pending + text[i : i + step], first=not spoken, final=False)
            spoken += clauses
        spoken += cut_clauses(pending, first=not spoken, final=True)[0]
        assert spoken == texts(segment(text)), step
    assert cut_clauses("Hello there", first=True, final=False) == ((), "Hello there")
    assert cut_clauses("```\ncode", first=False, final=False) == ((), "```\ncode")


def test_raw_texts_add_up_to_exactly_the_input():
    """Every character fed belongs to exactly one clause's raw (silent text joins the next clause)."""
    text = "Hi 🎉\n```py\nx = 1\n```\n👍\n```\ny\n```\nDone, with **that**. 🚀 Next one here!"
    for step in (1, 3, len(text)):
        assert "".join(c.raw for c in stream(text, step)) == text
