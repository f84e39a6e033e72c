"""No Python module under rpa/ holds a fact about the portal: page paths, API paths, form field
names and result keys, type codes all come from the catalog (selectors/portal.toml).

The facts are read from the loaded catalog (and its variants' overlays), plus the obvious ones a
slip would bring back. Every string literal of every module (docstrings and f-strings included)
is checked: a path-like fact anywhere inside it, any other fact as the whole literal.
"""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

from rpa.catalog import load_catalog
from rpa.config import Settings

RPA = Path(__file__).resolve().parents[2] / "rpa"
VARIANTS = Path(__file__).resolve().parents[2] / "fixtures" / "mock_portal" / "variants"
# What a slip would bring back even if the catalog renamed it.
OBVIOUS = {
    "/zhtj/", "/v1/center", "retCode", "retMsg", "leagueList", "queryLeagueId", "leagueId", "leagueName",
    "leagueFullName", "leagueTypeId", "applicationId", "createdAt", "idNumber", "idCardNo", "realName",
    "userId", "branchId", "branchName", "stageName", "idNumberMasked", "toOrg", "userList", "identityCardNo",
    "getorgtree", "fullSearchUser", "tuanyuantw", "01TZB", "06BYBTZB",
}


def is_generic(fact: str) -> bool:
    """A short lowercase word (`name`, `rows`, `total`, `list`) is also Python's and the catalog
    schema's own vocabulary, and a setting's name (`username`) is the tool's own word: neither
    can be told from a portal key in code, so they aren't checked."""
    own = fact in Settings.model_fields
    return own or (fact.isascii() and fact.isalpha() and fact.islower() and len(fact) <= 5)


def portal_facts() -> set[str]:
    facts = set(OBVIOUS)
    for overlay in [None, *sorted(VARIANTS.glob("*.toml"))]:
        data = load_catalog(overlay=overlay).data
        facts |= set(data["pages"].values())
        facts.add(data["api"]["prefix"])
        for section, table in data.items():
            if section.startswith("api."):
                for value in table.values():
                    facts |= set(value) if isinstance(value, list) else {value}
    return {f for f in facts if isinstance(f, str) and f and not is_generic(f)}


def string_literals(path: Path):
    source = path.read_text(encoding="utf-8")
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING:
            yield token.start[0], token.string
        elif token.type == getattr(tokenize, "FSTRING_MIDDLE", None):
            yield token.start[0], token.string


def body(literal: str) -> str:
    """The text of a string literal token (prefix and quotes taken off)."""
    text = literal.lstrip("rRbBuUfF")
    for quote in ('"""', "'''", '"', "'"):
        if text.startswith(quote) and text.endswith(quote) and len(text) >= 2 * len(quote):
            return text[len(quote):-len(quote)]
    return text


def test_no_python_module_under_rpa_names_a_portal_path_field_or_result_key():
    facts = portal_facts()
    assert {"/zhtj/center/manage/transferout", "/v1/center/", "queryLeagueId", "leagueList", "retCode"} <= facts
    found = []
    for path in sorted(RPA.rglob("*.py")):
        for line, literal in string_literals(path):
            text = body(literal)
            for fact in facts:
                if ("/" in fact and fact in text) or text == fact:
                    found.append(f"{path.relative_to(RPA.parent)}:{line}: {fact!r}")
    assert not found, "portal facts in code (move them to selectors/portal.toml):\n" + "\n".join(found)


def test_the_check_itself_finds_a_fact_in_code(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('KEY = "leagueList"\nURL = f"{base}/v1/center/getorgtree"\nname = "name"\n', encoding="utf-8")
    facts = portal_facts()

    hits = [(line, body(lit)) for line, lit in string_literals(sample)
            if any(("/" in f and f in body(lit)) or body(lit) == f for f in facts)]

    assert [line for line, _ in hits] == [1, 2]
