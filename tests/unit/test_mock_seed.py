"""The mock's seed data: a tree realistic enough to get lost in, and valid people."""

from __future__ import annotations

import re
import sqlite3

import pytest

from fixtures.mock_portal.db import Database
from fixtures.mock_portal.faults import Faults
from fixtures.mock_portal.seed import LEAF_TYPE_IDS, ORG_TYPES, check_digit


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = Database(tmp_path_factory.mktemp("seed") / "portal.db")
    database.reset()
    return database


@pytest.fixture(scope="module")
def paths(db):
    return {"/".join(o["path"]): o["type"] for o in db.all_orgs()}


def test_the_tree_has_at_least_300_nodes(paths):
    assert len(paths) >= 300


def test_the_top_level_is_28_provinces_and_the_central_systems_without_beijing_guangdong_fujian(db):
    top = [r["name"] for r in db.children(None)]
    central = {"中央和国家机关团工委", "中央金融团工委", "中央企业团工委", "全国铁道团委", "中国民航团委"}
    assert central <= set(top)
    assert len(set(top) - central) == 28
    assert not [name for name in top if any(p in name for p in ("北京", "广东", "福建"))]


def test_universities_sit_under_their_province_not_their_city(paths):
    assert "团湖北省委/三峡大学团委" in paths
    assert not [p for p in paths if p.startswith("团湖北省委/团宜昌市委/") and "三峡大学" in p]
    assert "团江苏省委/南京工业大学团委" in paths and "团江苏省委/南京邮电大学团委" in paths
    assert not [p for p in paths if p.startswith("团江苏省委/团南京市委/") and "大学" in p]


def test_the_same_college_name_repeats_under_many_parents(paths):
    assert len([p for p in paths if p.endswith("/计算机学院团总支")]) >= 5


def test_every_street_has_the_three_catch_all_branches(paths):
    streets = [p for p in paths if paths[p] == "团工委" and p.endswith("街道工委")]
    assert streets
    for street in streets:
        kinds = {paths[p] for p in paths if p.startswith(street + "/")}
        assert {"流动团员团支部", "青年之家", "学社衔接临时团支部"} <= kinds


def test_the_school_has_colleges_with_class_branches_and_enough_members(db, paths):
    colleges = [p for p in paths if p.startswith("团山东省委/德州学院团委/") and p.count("/") == 2]
    assert len(colleges) >= 6
    assert all(paths[c] == "团总支" for c in colleges)
    assert len(db.members()) >= 240


def test_every_member_has_a_valid_id_number_and_phone(db):
    for m in db.members():
        number = m["id_number"]
        assert re.fullmatch(r"\d{17}[\dX]", number)
        assert check_digit(number[:17]) == number[17]
        assert "2000" <= number[6:10] <= "2003"
        assert re.fullmatch(r"1[3-9]\d{9}", m["phone"])
    assert len({m["id_number"] for m in db.members()}) == len(db.members())


def test_some_names_repeat_across_branches(db):
    branches_by_name: dict[str, set] = {}
    for m in db.members():
        branches_by_name.setdefault(m["name"], set()).add(m["branch_id"])
    assert any(len(b) > 1 for b in branches_by_name.values())


def test_the_same_seed_gives_the_same_people(tmp_path, db):
    again = Database(tmp_path / "again.db")
    again.reset()
    assert [m["id_number"] for m in again.members()] == [m["id_number"] for m in db.members()]


def test_the_admin_accounts_are_id_numbers_and_the_first_runs_the_school(db):
    accounts = db.accounts()
    assert [(a["org"], bool(a["first_login"])) for a in accounts] == [("德州学院团委", False), ("计算机与信息学院团总支", True)]
    for a in accounts:
        assert re.fullmatch(r"\d{17}[\dX]", a["username"]) and check_digit(a["username"][:17]) == a["username"][17]
    assert accounts[1]["password"] == accounts[1]["username"][-8:]


def test_org_ids_are_opaque_unique_and_the_same_on_every_reseed(db, tmp_path):
    ids = [r["league_id"] for r in db.query("SELECT league_id FROM orgs ORDER BY id")]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[A-Za-z0-9+/]{22}==", i) for i in ids)
    again = Database(tmp_path / "again.db")
    again.reset()
    assert [r["league_id"] for r in again.query("SELECT league_id FROM orgs ORDER BY id")] == ids


def test_every_kind_has_a_type_code_and_branch_kinds_are_leaves(db):
    codes = {r["type"]: r["type_id"] for r in db.query("SELECT DISTINCT type, type_id FROM orgs")}
    assert codes == {k: v for k, v in ORG_TYPES.items()}
    leaves = {r["type_id"] for r in db.query("SELECT type_id FROM orgs o WHERE NOT EXISTS (SELECT 1 FROM orgs c WHERE c.pid = o.id)")}
    assert set(LEAF_TYPE_IDS) <= leaves
    with_children = {r["type_id"] for r in db.query("SELECT DISTINCT p.type_id FROM orgs p JOIN orgs c ON c.pid = p.id")}
    assert not with_children & set(LEAF_TYPE_IDS)


def test_faults_refuse_bad_values_with_a_chinese_message():
    faults = Faults()
    with pytest.raises(ValueError, match="error_rate"):
        faults.update({"error_rate": 2})
    with pytest.raises(ValueError, match="未知的故障参数"):
        faults.update({"latency": 1})
    faults.update({"latency_ms": 100, "seed": 3})
    assert faults.as_dict()["latency_ms"] == 100


def test_a_db_file_from_an_older_mock_is_seeded_afresh(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript("CREATE TABLE orgs (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO orgs VALUES (1, '旧');")
    old.close()
    db = Database(path)
    db.ensure_seeded()
    assert db.org_by_league_id(db.children(None)[0]["league_id"])["name"] == db.children(None)[0]["name"]
    assert len(db.accounts()) == 2
