"""The rule for a row that may have been sent: which application the portal holds is ours."""

from __future__ import annotations

import datetime as dt

import pytest

from rpa.batch import TransferRow
from rpa.errors import DuplicateApplication
from rpa.portal.history import HistoryEntry
from rpa.runner.reconcile import CLOCK_SKEW_S, judge

CLICK = dt.datetime(2025, 7, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SCHOOL = ["团湖北省委", "三峡大学团委"]


def row(**values) -> TransferRow:
    fields = dict(row=5, name="张伟", id_number="370102200001011236", phone="13912345678", contact="母亲",
                  branch="计算机学院2021级1班团支部", destination="升学", province_flag=False, target_path=SCHOOL,
                  study_type="普通高校", unit_name="三峡大学", unit_address="湖北省宜昌市大学路8号")
    fields.update(values)
    return TransferRow(**fields)


NAMES = {"三峡大学团委", "共青团三峡大学委员会"}


def entry(target: str = "共青团三峡大学委员会", minutes_after_click: float = 1, **values) -> HistoryEntry:
    # The portal shows its local time without a zone (as the machine's clock would).
    created = (CLICK + dt.timedelta(minutes=minutes_after_click)).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    fields = dict(application_id="41", name="张伟", created_at=created, stage_name="转出组织审批",
                  target=target, open=True, revoked=False, target_names=frozenset(NAMES))
    fields.update(values)
    return HistoryEntry(**fields)


def at_click(value: dt.datetime) -> dt.datetime:
    return value  # the row's first `submitting` record, as run.jsonl holds it (aware)


def test_an_open_application_to_the_rows_target_made_after_the_click_is_ours():
    verdict = judge([entry()], row(), at_click(CLICK))
    assert verdict.ours is not None and verdict.other is None


def test_an_application_to_another_org_is_someone_elses_and_makes_the_row_a_duplicate():
    verdict = judge([entry(target="共青团山东大学委员会")], row(), at_click(CLICK))

    assert verdict.ours is None and verdict.other is not None
    error = verdict.duplicate(5)
    assert isinstance(error, DuplicateApplication)
    assert "共青团山东大学委员会" in error.message and "转出组织审批" in error.message and "第5行" in error.message


def test_an_application_from_before_the_click_is_not_ours_even_to_the_same_org():
    long_before = entry(minutes_after_click=-(CLOCK_SKEW_S / 60 + 10))
    verdict = judge([long_before], row(), at_click(CLICK))
    assert verdict.ours is None and verdict.other is long_before


def test_a_portal_clock_a_little_behind_ours_still_counts_as_ours():
    verdict = judge([entry(minutes_after_click=-(CLOCK_SKEW_S / 60) / 2)], row(), at_click(CLICK))
    assert verdict.ours is not None


def test_a_finished_application_of_someone_else_leaves_the_row_free_to_try_again():
    finished = entry(target="山东大学团委", minutes_after_click=-60 * 24 * 300, stage_name="完成", open=False)
    verdict = judge([finished], row(), at_click(CLICK))
    assert verdict.ours is None and verdict.other is None


def test_a_revoked_application_is_never_ours():
    verdict = judge([entry(revoked=True, open=False, stage_name="已撤销")], row(), at_click(CLICK))
    assert verdict.ours is None and verdict.other is None


def test_an_application_of_someone_else_with_the_same_name_is_not_looked_at():
    verdict = judge([entry(name="张伟伟")], row(), at_click(CLICK))
    assert verdict.ours is None and verdict.other is None


@pytest.mark.parametrize("created_at", [None, "昨天下午"])
def test_a_time_that_cannot_be_read_cannot_prove_the_application_is_ours(created_at):
    verdict = judge([entry(created_at=created_at)], row(), at_click(CLICK))
    assert verdict.ours is None and verdict.other is not None


def test_the_short_name_of_the_path_also_names_the_target():
    assert judge([entry(target="三峡大学团委")], row(), at_click(CLICK)).ours is not None


def test_a_row_without_an_org_of_its_own_takes_the_portals_routing_as_its_target():
    army = row(destination="参军入伍", target_path=None, study_type=None, unit_name=None, unit_address=None)
    special = entry(target="特殊单位专属库", target_names=frozenset({"特殊单位专属库"}))
    assert judge([special], army, at_click(CLICK)).ours is not None
