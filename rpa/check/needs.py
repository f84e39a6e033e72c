"""Which catalog entries a run needs, and what the check's walk should cover for it.

    needs = Needs.full(catalog)                      # `rpa check`: a batch with every kind of row
    needs = Needs.for_rows(catalog, rows, "submit")  # quick mode: the rows of this run

What a run uses: the way to 办理转出 (menus, landmarks, the page paths it goes to), the member
picker of the catalog's strategy, the form labels it fills or reads back for its rows' reasons,
the option texts it chooses, the org picker when a row has a path, and 组织关系审批 when it
submits (a row in doubt is looked up there). Labels only shown to the eye (转出团支部管理员…),
messages and the approvals table's columns are not needed: a run goes on without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rpa.check.form import STRATEGY_KEYS
from rpa.vocabulary import Destination, TargetKind

if TYPE_CHECKING:
    from rpa.batch import TransferRow
    from rpa.catalog import Catalog

WAY = ("pages.personal", "pages.transfer_out", "landmarks.personal", "landmarks.center", "landmarks.transfers",
       "landmarks.transfer_out", "menu.enter_center", "menu.business", "menu.transfers", "menu.transfer_out",
       "api.prefix", "api.answer.code", "api.answer.message", "api.answer.payload", "api.ok",
       "api.paths.branch_list")
SIGN_IN = ("pages.signin", "landmarks.signin", "signin.account", "signin.password", "signin.submit",
           "api.paths.sign_in", "api.paths.whoami")
FORM = ("transfer.form", "member_picker.card", "member_picker.option", "strategies.member_picker",
        "api.paths.member_list", "api.members.list", "api.members.id", "api.members.name",
        "api.members.id_number", "api.members.branch_name")
# Labels every row fills or reads back (TransferForm.READ_BACK).
LABELS = ("name", "id_number", "phone", "contact", "branch", "province_flag", "reason", "remark")
ORG = ("strategies.org_picker", "transfer.labels.target", "api.paths.org_level", "api.orgtree.parent",
       "api.orgtree.list", "api.orgtree.id", "api.orgtree.name", "api.orgtree.full_name", "api.orgtree.type")
APPROVALS = ("pages.approvals", "landmarks.approvals", "approvals.pane", "approvals.search", "approvals.query",
             "api.paths.approval_list", "api.approvals.rows", "api.approvals.total", "api.approvals.application_id",
             "api.approvals.name", "api.approvals.id_masked", "api.approvals.created_at", "api.approvals.stage_name",
             "api.approvals.target")


@dataclass
class Needs:
    """What a walk covers and which entries count for the verdict."""

    keys: set[str] = field(default_factory=set)
    member: tuple[str, str] | None = None  # (branch, name) to choose with, when a batch names one
    signin_page: bool = True
    org: bool = True
    approvals: bool = True
    transfers: bool = True  # the list on 组织关系转接办理 (search, table)
    quick: bool = False

    @classmethod
    def full(cls, catalog: Catalog) -> Needs:
        return cls(keys=needed_keys(catalog, None, "submit"))

    @classmethod
    def for_rows(cls, catalog: Catalog, rows: list[TransferRow], mode: str) -> Needs:
        first = rows[0] if rows else None
        return cls(
            keys=needed_keys(catalog, rows, mode), member=(first.branch, first.name) if first else None,
            signin_page=False, org=any(_has_path(catalog, r) for r in rows), approvals=mode == "submit",
            transfers=False, quick=True,
        )


def _has_path(catalog: Catalog, row: TransferRow) -> bool:
    rule = catalog.vocabulary.rule(Destination(row.destination))
    return bool(row.target_path) and not row.province_flag and rule.target != TargetKind.NONE


def needed_keys(catalog: Catalog, rows: list[TransferRow] | None, mode: str) -> set[str]:
    """The entries a run of `rows` (None: of every kind of row) in `mode` needs."""
    keys = set(WAY) | set(SIGN_IN) | set(FORM) | {f"transfer.labels.{k}" for k in LABELS}
    strategy = catalog.strategy("member_picker")
    keys |= {f"member_picker.{k}" for k in STRATEGY_KEYS["member_picker"][strategy]}
    if mode == "submit":
        keys |= {"transfer.submit"} | set(APPROVALS)
    vocabulary = catalog.vocabulary
    if rows is None:
        reasons = {r.reason for r in vocabulary.destinations.values() if r.reason}
        study_types, provinces = set(vocabulary.study_types), set(vocabulary.provinces)
        flags, units, paths = {True, False}, {"school", "employer"}, True
    else:
        reasons, study_types, provinces, flags, units, paths = set(), set(), set(), set(), set(), False
        for row in rows:
            rule = vocabulary.rule(Destination(row.destination))
            if rule.reason is None:
                continue
            reasons.add(rule.reason)
            special = rule.target == TargetKind.NONE
            flags.add(bool(row.province_flag) and not special)
            if row.province_flag and not special:
                provinces.add(row.province or "")
            if rule.unit:
                units.add("school" if rule.reason == "升学" else "employer")
            if rule.reason == "升学":
                study_types.add(row.study_type or "普通高校")
            paths = paths or _has_path(catalog, row)
    keys |= {f"options.reason.{r}" for r in reasons}
    keys |= {f"options.study_type.{t}" for t in study_types if t}
    keys |= {f"options.province.{p}" for p in provinces if p}
    keys |= {f"options.province_flag.{'yes' if f else 'no'}" for f in flags}
    if True in flags:
        keys |= {"transfer.labels.province", "transfer.labels.target_full_name"}
    if study_types:
        keys.add("transfer.labels.study_type")
    for unit in units:
        keys |= {f"transfer.labels.{unit}_name", f"transfer.labels.{unit}_address"}
    if paths:
        keys |= set(ORG)
        strategy = catalog.strategy("org_picker")
        keys |= {f"org_picker.{k}" for k in STRATEGY_KEYS["org_picker"][strategy] if k != "node_loading"}
    return keys
