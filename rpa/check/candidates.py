"""The nearest texts on a page to one the catalog expected, with a similarity score.

    nearest("转出原因", ["转出人姓名", "转出类型", "备注"], taken={"转出人姓名"})
    → [Candidate("转出类型", 0.5)]

The score is `difflib.SequenceMatcher`'s ratio (shown as a percentage). Texts that another
catalog entry already found ("taken") are not candidates: a label the catalog knows under
another key is not this one renamed. Texts that look like a person's data (in the portal's
answers, or long runs of digits) are never offered, so a report can be sent on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

# A candidate at least this close is taken as the entry, renamed: the entry reads "different"
# (not "missing"), and the walk goes on with it (e.g. opens the select under the new label).
SAME_THING = 0.5
# Below this a text is not worth showing.
SHOWN_FROM = 0.2
MAX_SHOWN = 3
MAX_TEXT = 40
_DIGITS = re.compile(r"[\d*]{6,}")


@dataclass(frozen=True)
class Candidate:
    text: str
    score: float  # 0..1

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "score": self.percent}


def clean(text: str) -> str:
    """A text as a person reads it in a label: one line, trimmed, no closing colon."""
    first = next((line for line in (text or "").splitlines() if line.strip()), "")
    return re.sub(r"[:：]\s*$", "", " ".join(first.split())).strip()


def score(expected: str, text: str) -> float:
    return SequenceMatcher(None, clean(expected), clean(text), autojunk=False).ratio()


def nearest(
    expected: str, texts: Iterable[str], *, taken: Iterable[str] = (), private: Privacy | None = None,
) -> list[Candidate]:
    """The texts closest to `expected`, best first (at most MAX_SHOWN, each at least SHOWN_FROM)."""
    skip = {clean(t) for t in taken} | {clean(expected)}
    seen: dict[str, Candidate] = {}
    for raw in texts:
        text = clean(raw)
        if not text or text in skip or text in seen or len(text) > MAX_TEXT:
            continue
        if private is not None and private.hides(text):
            continue
        value = score(expected, text)
        if value >= SHOWN_FROM:
            seen[text] = Candidate(text, value)
    return sorted(seen.values(), key=lambda c: -c.score)[:MAX_SHOWN]


class Privacy:
    """What must never leave the machine: every text value of the portal's answers (names, ID
    numbers, phones, org names…) but the catalog's own wording (an option such as 升学 is the
    portal's text, not a person's), and anything that looks like an ID number or a phone."""

    MIN_VALUE = 2

    def __init__(self, public: Iterable[str] = ()) -> None:
        self.values: set[str] = set()
        self.public = {clean(text) for text in public}

    def add_answer(self, value: object) -> None:
        """Remember every text (and number) inside one of the portal's answers."""
        if isinstance(value, dict):
            for item in value.values():
                self.add_answer(item)
        elif isinstance(value, list):
            for item in value:
                self.add_answer(item)
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            text = str(value).strip()
            if len(text) >= self.MIN_VALUE and text not in self.public:
                self.values.add(text)

    def hides(self, text: str) -> bool:
        """Whether `text` holds a person's data (or might)."""
        if _DIGITS.search(text):
            return True
        return any(value in text for value in self.values if len(value) <= len(text) or value.isdigit())


def catalog_texts(data: object) -> set[str]:
    """Every text of a catalog's data (labels, options, messages, locators' texts)."""
    found: set[str] = set()
    if isinstance(data, dict):
        for value in data.values():
            found |= catalog_texts(value)
    elif isinstance(data, (list, tuple)):
        for value in data:
            found |= catalog_texts(value)
    elif isinstance(data, str):
        found.add(data)
    return found
