"""The GB 11643 check digit, by property: valid IDs pass, a flipped check digit never does."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from rpa.idnumber import ID_CHECK_CHARS, check_id_number, id_check_digit

areas = st.from_regex(r"[1-6]\d{5}", fullmatch=True)
births = st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2010, 12, 31))
seqs = st.from_regex(r"\d{3}", fullmatch=True)


def build(area: str, birth: dt.date, seq: str) -> str:
    first17 = f"{area}{birth:%Y%m%d}{seq}"
    return first17 + id_check_digit(first17)


@settings(max_examples=300, deadline=None)
@given(areas, births, seqs)
def test_every_generated_valid_id_is_accepted(area, birth, seq):
    assert check_id_number(build(area, birth, seq)) is None


@settings(max_examples=300, deadline=None)
@given(areas, births, seqs, st.sampled_from(ID_CHECK_CHARS))
def test_any_other_check_digit_is_rejected(area, birth, seq, other):
    valid = build(area, birth, seq)
    if other == valid[-1]:
        return
    assert check_id_number(valid[:17] + other)[0] == "id_check_digit"


@settings(max_examples=200, deadline=None)
@given(areas, births, seqs, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_changing_one_digit_of_a_valid_id_is_caught(area, birth, seq, pos, delta):
    valid = build(area, birth, seq)
    changed = valid[:pos] + str((int(valid[pos]) + delta) % 10) + valid[pos + 1:]
    assert check_id_number(changed) is not None
