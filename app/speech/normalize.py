"""Turn one clause of an LLM reply (markdown, symbols, digits) into plain words a voice can read.

Pure functions, no state: :func:`speakable` is the entry point. Markdown markers, URLs, e-mail addresses, emoji and
stray symbols are never read literally; numbers, currency, units, ordinals, times and common abbreviations become
words. Code blocks never reach this module: :mod:`app.speech.segmenter` replaces them with a short spoken mention.
"""

from __future__ import annotations

import re
import unicodedata

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_IRREGULAR = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                      "nine": "ninth", "twelve": "twelfth"}


# ------------------------------------------------------------------------------------------------------- numbers
def _under_thousand(n: int) -> str:
    words: list[str] = []
    if n >= 100:
        words += [_ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(_TENS[n // 10] + (f"-{_ONES[n % 10]}" if n % 10 else ""))
    elif n or not words:
        words.append(_ONES[n])
    return " ".join(words)


def int_to_words(n: int) -> str:
    """``1234`` -> ``one thousand two hundred thirty-four``; negative numbers get "minus"."""
    if n < 0:
        return "minus " + int_to_words(-n)
    if n >= 10**15:
        return " ".join(_ONES[int(d)] for d in str(n))
    parts: list[str] = []
    for value, name in _SCALES:
        if n >= value:
            parts.append(f"{_under_thousand(n // value)} {name}")
            n %= value
    if n or not parts:
        parts.append(_under_thousand(n))
    return " ".join(parts)


def ordinal_words(n: int) -> str:
    """``21`` -> ``twenty-first``."""
    words = int_to_words(n)
    head, sep, last = words.rpartition("-") if "-" in words.split(" ")[-1] else words.rpartition(" ")
    if last in _ORDINAL_IRREGULAR:
        last = _ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + last


def year_words(n: int) -> str:
    """``1999`` -> ``nineteen ninety-nine``, ``2024`` -> ``twenty twenty-four``, ``2005`` -> ``two thousand five``."""
    hi, lo = divmod(n, 100)
    if 2000 <= n < 2010 or lo == 0 and hi % 10 == 0:
        return int_to_words(n)
    return f"{int_to_words(hi)} {'hundred' if lo == 0 else ('oh ' + _ONES[lo] if lo < 10 else int_to_words(lo))}"


def number_to_words(token: str) -> str:
    """A numeral as written (``1,234``, ``3.14``, ``-2``, ``.5``) in words; digits after the point one by one."""
    token = token.replace(",", "")
    sign = "minus " if token.startswith("-") else ""
    whole, _, frac = token.lstrip("+-").partition(".")
    spoken = int_to_words(int(whole)) if whole else "zero"
    if frac:
        spoken += " point " + " ".join(_ONES[int(d)] for d in frac)
    return sign + spoken


# ------------------------------------------------------------------------------------------------------- tables
ABBREVIATIONS = {
    "Dr.": "Doctor", "Mr.": "Mister", "Mrs.": "Missus", "Ms.": "Miz", "Prof.": "Professor", "St.": "Saint",
    "Jr.": "Junior", "Sr.": "Senior", "vs.": "versus", "etc.": "et cetera", "e.g.": "for example",
    "i.e.": "that is", "approx.": "approximately", "Inc.": "Incorporated", "Ltd.": "Limited", "Co.": "Company",
    "Mt.": "Mount", "Ave.": "Avenue", "Fig.": "Figure", "a.m.": "A M", "p.m.": "P M", "U.S.": "U S",
    "U.K.": "U K", "Jan.": "January", "Feb.": "February", "Aug.": "August", "Sept.": "September",
    "Oct.": "October", "Nov.": "November", "Dec.": "December", "approx": "approximately",
}
# words before which a period does not end a sentence (used by the segmenter)
NON_FINAL_ABBREVIATIONS = frozenset(a[:-1].lower() for a in ABBREVIATIONS if a.endswith(".")) - {"etc"}

# unit symbol -> (singular, plural); matched only right after a number
UNITS = {
    "km/h": ("kilometer per hour", "kilometers per hour"), "mph": ("mile per hour", "miles per hour"),
    "km": ("kilometer", "kilometers"), "cm": ("centimeter", "centimeters"), "mm": ("millimeter", "millimeters"),
    "m": ("meter", "meters"), "mi": ("mile", "miles"), "ft": ("foot", "feet"), "kg": ("kilogram", "kilograms"),
    "mg": ("milligram", "milligrams"), "g": ("gram", "grams"), "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"), "oz": ("ounce", "ounces"), "ml": ("milliliter", "milliliters"),
    "l": ("liter", "liters"), "L": ("liter", "liters"), "ms": ("millisecond", "milliseconds"),
    "sec": ("second", "seconds"), "min": ("minute", "minutes"),
    "h": ("hour", "hours"), "hr": ("hour", "hours"), "hrs": ("hour", "hours"), "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"), "GHz": ("gigahertz", "gigahertz"),
    "KB": ("kilobyte", "kilobytes"), "kB": ("kilobyte", "kilobytes"), "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"), "W": ("watt", "watts"),
    "kW": ("kilowatt", "kilowatts"), "V": ("volt", "volts"), "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"), "°": ("degree", "degrees"), "%": ("percent", "percent"),
}
CURRENCIES = {"$": ("dollar", "dollars"), "€": ("euro", "euros"), "£": ("pound", "pounds"), "¥": ("yen", "yen")}
SYMBOLS = {
    "&": " and ", "@": " at ", "+": " plus ", "=": " equals ", "×": " times ", "÷": " divided by ",
    "≈": " about ", "~": " about ", "→": " to ", "←": " from ", "<": " less than ", ">": " greater than ",
    "≤": " at most ", "≥": " at least ", "°": " degrees ", "©": " copyright ", "™": "", "®": "",
    "—": ", ", "–": ", ", "…": "... ", "/": " ", "\\": " ", "|": ", ", "#": " ", "*": " ", "_": " ",
    "^": " ", "`": "", "{": " ", "}": " ", "[": " ", "]": " ", "(": ", ", ")": ", ", "•": ", ", "·": ", ",
}

_SCALE_WORDS = {"k": "thousand", "m": "million", "bn": "billion", "million": "million", "billion": "billion"}
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_UNIT_RE = re.compile(
    rf"(?<![\w.])(-?(?:{_NUM}))\s?({'|'.join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))})(?![\w°])"
)
_CURRENCY_RE = re.compile(rf"([{''.join(map(re.escape, CURRENCIES))}])\s?({_NUM})(\s?(?:k|K|m|M|bn|million|billion)\b)?")
_ABBR_RE = re.compile(
    "|".join(rf"(?<![\w.]){re.escape(a)}" + (r"(?!\w)" if a[-1] == "." else r"\b")
             for a in sorted(ABBREVIATIONS, key=len, reverse=True))
)
_URL_RE = re.compile(r"\b(?:https?://|www\.)[^\s<>()\"']+[^\s<>()\"'.,;:!?]", re.IGNORECASE)
_EMAIL_RE = re.compile(r"\b[\w.+-]+@([\w-]+(?:\.[\w-]+)+)\b")
_DOMAIN_RE = re.compile(r"\b([a-z0-9-]+(?:\.[a-z0-9-]+)*)\.(com|org|net|io|dev|ai|edu|gov|co|uk|de|fr|app)\b", re.I)
_ORDINAL_RE = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
_TIME_RE = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")
_RANGE_RE = re.compile(rf"(?<![\w.])({_NUM})\s?[-–]\s?({_NUM})(?![\w.])")
_YEAR_RE = re.compile(r"(?<![\w.,$])(1[1-9]\d\d|20\d\d)(?![\w,]|\.\d)")
_DECADE_RE = re.compile(r"(?<![\w.,$])(1[1-9]\d0|20\d0)'?s\b")
_TIMES_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)[x×](?![\w])")
_NUMBER_RE = re.compile(rf"(?<![\w.])(-?(?:{_NUM}))")


# -------------------------------------------------------------------------------------------------- transforms
def strip_markdown(text: str) -> str:
    """Drop markdown syntax, keeping the words: links keep their text, images their alt text."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>\n]+>", " ", text)  # html tags
    text = re.sub(r"`([^`\n]*)`", lambda m: m.group(1).replace("()", "").replace("_", " "), text)
    text = re.sub(r"(?m)^\s{0,3}(?:#{1,6}\s+|>\s?)", "", text)
    text = re.sub(r"(?m)^\s*(?:[-*+•]|\d{1,3}[.)])\s+", "", text)
    text = re.sub(r"(?m)^\s*\|?\s*:?-{3,}.*$", "", text)  # table separator / horizontal rule
    text = re.sub(r"(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    return re.sub(r"(?<![\w*])[*_](?=\S)([^*_\n]+?)(?<=\S)[*_](?![\w*])", r"\1", text)


def _host_words(host: str) -> str:
    host = re.sub(r"^(?:https?://)?(?:www\.)?", "", host, flags=re.I).split("/")[0].split(":")[0]
    return host.replace(".", " dot ")


def replace_links(text: str) -> str:
    """URLs become "a link to example dot com"; e-mail addresses "name at example dot com"."""
    text = _URL_RE.sub(lambda m: f"a link to {_host_words(m.group(0))}", text)
    text = _EMAIL_RE.sub(lambda m: m.group(0).replace("@", " at ").replace(".", " dot "), text)
    return _DOMAIN_RE.sub(lambda m: f"{m.group(1)}.{m.group(2)}".replace(".", " dot "), text)


def _amount(num: str, scale: str | None, names: tuple[str, str]) -> str:
    plain = num.replace(",", "")
    whole, _, cents = plain.partition(".")
    if scale:
        return f"{number_to_words(plain)} {_SCALE_WORDS[scale.strip().lower()]} {names[1]}"
    unit = names[0] if whole in ("1", "") and not cents else names[1]
    spoken = f"{int_to_words(int(whole or 0))} {unit}"
    if len(cents) == 2 and int(cents):
        spoken += f" and {int_to_words(int(cents))} cent{'s' if int(cents) != 1 else ''}"
    elif cents and int(cents):
        spoken = f"{number_to_words(plain)} {names[1]}"
    return spoken


def replace_numbers(text: str) -> str:
    """Currency, units, percent, ordinals, times, ranges, years and plain numerals -> words."""
    text = _CURRENCY_RE.sub(lambda m: _amount(m.group(2), m.group(3), CURRENCIES[m.group(1)]), text)
    text = _UNIT_RE.sub(_unit_words, text)
    text = _ORDINAL_RE.sub(lambda m: ordinal_words(int(m.group(1))), text)
    text = _TIME_RE.sub(_time_words, text)
    text = _RANGE_RE.sub(lambda m: f"{number_to_words(m.group(1))} to {number_to_words(m.group(2))}", text)
    text = _DECADE_RE.sub(lambda m: _plural(year_words(int(m.group(1)))), text)
    text = _YEAR_RE.sub(lambda m: year_words(int(m.group(1))), text)
    text = _TIMES_RE.sub(lambda m: f"{number_to_words(m.group(1))} times", text)
    return _NUMBER_RE.sub(_plain_number, text)


def _plain_number(m: re.Match[str]) -> str:
    words = number_to_words(m.group(1))
    glued = m.end() < len(m.string) and m.string[m.end()].isalpha()  # "10am", "4K"
    return words + " " if glued else words


def _plural(words: str) -> str:
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


def _unit_words(m: re.Match[str]) -> str:
    num, unit = m.group(1), m.group(2)
    singular, plural = UNITS[unit]
    return f"{number_to_words(num)} {singular if num.replace(',', '') in ('1', '-1') else plural}"


def _time_words(m: re.Match[str]) -> str:
    hour, minute = int(m.group(1)), int(m.group(2))
    if minute == 0:
        return f"{int_to_words(hour)} o'clock" if hour else "midnight"
    return f"{int_to_words(hour)} {'oh ' + _ONES[minute] if minute < 10 else int_to_words(minute)}"


def replace_abbreviations(text: str) -> str:
    text = re.sub(r"(?:\bNo\.|#)\s?(?=\d)", "number ", text)
    text = re.sub(r"(?<![\w.])([A-Z])\.(?=\s+[A-Z])", r"\1", text)  # initials: "J. K. Rowling"
    return _ABBR_RE.sub(lambda m: ABBREVIATIONS[m.group(0)], text)


def _is_emoji_or_control(ch: str) -> bool:
    if ch in "\u200d\ufe0e\ufe0f\u20e3":
        return True
    cat = unicodedata.category(ch)
    return cat in ("So", "Cs", "Co", "Cn") or (cat in ("Sk", "Mn") and ord(ch) >= 0x1F000) or cat == "Cc"


def _symbol(ch: str) -> str:
    if ch in SYMBOLS:
        return SYMBOLS[ch]
    if ch in "\n\t\r":
        return " "
    return "" if _is_emoji_or_control(ch) else ch


def replace_symbols(text: str) -> str:
    """Map meaningful symbols to words, delete emoji and decorative symbols."""
    text = "".join(_symbol(ch) for ch in text)
    text = re.sub(r"(?<=\w)-(?=\s|$)|(?<=\s)-(?=\s)", " ", text)  # dangling dashes
    return text


def tidy(text: str) -> str:
    """Collapse spaces, drop punctuation left orphaned by the replacements."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r",\s*([.!?])", r"\1", text)
    text = re.sub(r"^[\s,.;:!?]+", "", text)
    return text.strip(" ,;:")


def has_words(text: str) -> bool:
    """Whether ``text`` contains anything a voice would pronounce."""
    return any(ch.isalnum() for ch in text)


def speakable(text: str) -> str:
    """One clause of model output -> plain text for a voice ("" when nothing is worth saying)."""
    text = unicodedata.normalize("NFC", text)
    text = strip_markdown(text)
    text = replace_links(text)
    text = replace_abbreviations(text)
    text = replace_numbers(text)
    text = replace_symbols(text)
    text = tidy(text)
    return text if has_words(text) else ""
