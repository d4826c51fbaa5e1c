"""Text normalisation: what a voice is given instead of markdown, symbols and digits."""

from __future__ import annotations

import pytest

from app.speech.normalize import int_to_words, number_to_words, ordinal_words, speakable, year_words


@pytest.mark.parametrize(
    "n, words",
    [(0, "zero"), (7, "seven"), (13, "thirteen"), (40, "forty"), (42, "forty-two"), (100, "one hundred"),
     (1234, "one thousand two hundred thirty-four"), (1_000_000, "one million"), (-3, "minus three")],
)
def test_int_to_words(n, words):
    assert int_to_words(n) == words


def test_ordinals_years_and_decimals():
    assert [ordinal_words(n) for n in (1, 2, 3, 5, 12, 20, 21, 100)] == [
        "first", "second", "third", "fifth", "twelfth", "twentieth", "twenty-first", "one hundredth"]
    assert [year_words(y) for y in (1999, 2024, 2005, 1900, 2000)] == [
        "nineteen ninety-nine", "twenty twenty-four", "two thousand five", "nineteen hundred", "two thousand"]
    assert number_to_words("3.14") == "three point one four"
    assert number_to_words("1,250") == "one thousand two hundred fifty"


@pytest.mark.parametrize(
    "text, spoken",
    [
        ("Dr. Smith, e.g. at 10:30 on the 21st.", "Doctor Smith, for example at ten thirty on the twenty-first."),
        ("It costs $3.50, not $1.", "It costs three dollars and fifty cents, not one dollar."),
        ("Pi is 3.14 and 1,000,000 people (50%) agree.", "Pi is three point one four and one million people, fifty percent, agree."),
        ("It's -5°C; 60 mph or 100 km/h; 2 kg; 16 GB.", "It's minus five degrees Celsius; sixty miles per hour or one hundred kilometers per hour; two kilograms; sixteen gigabytes."),
        ("In the 1990s and in 2024.", "In the nineteen nineties and in twenty twenty-four."),
        ("Wait 3-5 days.", "Wait three to five days."),
        ("**Bold** and *italic* and `snake_case()` here.", "Bold and italic and snake case here."),
        ("## Heading", "Heading"),
        ("> quoted text", "quoted text"),
        ("Read [the docs](http://x.io/a) now", "Read the docs now"),
        ("Go to https://www.example.com/a?b=1.", "Go to a link to example dot com."),
        ("Mail bob@example.org", "Mail bob at example dot org"),
        ("A & B = C + D", "A and B equals C plus D"),
        ("Great job 🎉👍🏽!", "Great job!"),
        ("No. 5 is the #1 hit", "number five is the number one hit"),
        ("It is 3x faster at 10am in 4K.", "It is three times faster at ten am in four K."),
    ],
)
def test_speakable(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize("text", ["", "🎉", "---", "| --- | --- |", "***", "`` ``"])
def test_nothing_to_say(text):
    assert speakable(text) == ""


def test_no_markdown_or_symbol_survives():
    text = "# Title\n- **item** with `code`, [link](https://a.b/c) & 50% ~ 3 <b>tags</b> | pipes | ^_^ {x} \\ /"
    out = speakable(text)
    assert not set(out) & set("#*`[]()&%~<>|^_{}\\/")
    assert "https" not in out
