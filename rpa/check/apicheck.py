"""The API entries of the catalog against the calls the walk's pages made.

    check_api(checks, traffic, reached, signed_in_with)

A call's path is judged only where the walk got to the page that makes it (the member list once
a branch was chosen, the tree once the picker opened…); a path not seen there is missing, with
the paths the pages did call as candidates. Result keys are compared with the keys of the
answers (and form fields with the fields the page sent). Values are never looked at, except
the answer's code (is it the catalog's `ok`?) and the org tree's type codes (named in a note).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rpa.check.candidates import nearest

if TYPE_CHECKING:
    from rpa.check.entries import Checks
    from rpa.check.traffic import Traffic

# Where each read call is made: the report section the walk must have reached to judge it.
CALLED_ON = {"branch_list": "member", "member_list": "member", "org_level": "org", "approval_list": "approvals"}
SECTION = "api"


def _keys(values: list[Any]) -> list[str]:
    return list(dict.fromkeys(k for v in values if isinstance(v, dict) for k in v))


def _items(values: list[Any], key: str) -> list[Any]:
    found: list[Any] = []
    for value in values:
        if isinstance(value, dict) and isinstance(value.get(key), list):
            found += value[key]
    return found


def _keys_of(checks: Checks, section: str, keys: list[str], names: list[str], seen: list[str], empty: str) -> None:
    """Check the catalog's `[section]` keys `names` against the keys `seen` (none seen: `empty`)."""
    for name in names:
        dotted = f"{section}.{name}"
        key = checks.value(dotted)
        if not seen:
            checks.unchecked(dotted, SECTION, empty)
        elif key in seen:
            checks.found(dotted, SECTION)
        else:
            others = {checks.value(f"{section}.{n}") for n in keys} - {key}
            checks.absent(dotted, SECTION, nearest(key, seen, taken=others))


def check_api(checks: Checks, traffic: Traffic, reached: set[str], signed_in_with: str | None) -> None:
    catalog = checks.catalog
    calls = traffic.calls
    if calls:
        checks.found("api.prefix", SECTION)
    elif reached:
        checks.absent("api.prefix", SECTION, note="页面没有调用这个前缀下的任何接口")
    paths = catalog.data["api.paths"]
    known = set(paths.values())
    unclaimed = [p for p in traffic.paths() if p not in known]
    for name, path in paths.items():
        dotted = f"api.paths.{name}"
        if traffic.of(name):
            checks.found(dotted, SECTION)
        elif name == "apply":
            checks.unchecked(dotted, SECTION, "只读检查不会提交申请，看不到这个接口")
        elif name == "sign_in":
            if signed_in_with == "password":
                checks.found(dotted, SECTION, note="本次用密码登录成功")
            else:
                checks.unchecked(dotted, SECTION, "本次使用了保存的登录状态，没有调用登录接口")
        elif CALLED_ON.get(name) in reached:
            checks.absent(dotted, SECTION, nearest(path, unclaimed))
        else:
            checks.unchecked(dotted, SECTION, "检查没有走到调用它的页面")

    answers = [c.shape for c in calls if isinstance(c.shape, dict)]
    answer_keys = catalog.data["api.answer"]
    _keys_of(checks, "api.answer", list(answer_keys), list(answer_keys), _keys(answers), "没有看到门户的应答")
    codes = {c.code for c in calls if c.code is not None}
    if catalog.number("api.ok") in codes:
        checks.found("api.ok", SECTION)
    elif codes:
        checks.differs("api.ok", SECTION, "、".join(str(c) for c in sorted(codes, key=str)))
    for key in ("failed", "expired"):
        checks.unchecked(f"api.{key}", SECTION, "只在出错或登录超时时出现")

    tree = traffic.results("org_level")
    fields = list(dict.fromkeys(f for c in traffic.of("org_level") for f in c.fields))
    if fields:
        _keys_of(checks, "api.orgtree", ["parent"], ["parent"], fields, "")
    tree_keys = ["list", "id", "name", "full_name", "type"]
    _keys_of(checks, "api.orgtree", tree_keys, ["list"], _keys(tree), "没有看到组织树的应答")
    nodes = _items(tree, catalog.key("orgtree", "list"))
    _keys_of(checks, "api.orgtree", tree_keys, ["id", "name", "full_name", "type"], _keys(nodes), "组织树的应答中没有组织")
    types = sorted({str(n.get(catalog.key("orgtree", "type"))) for n in nodes if isinstance(n, dict)})
    checks.unchecked("api.orgtree.leaf_types", SECTION,
                     "团支部一类的类型代码只在最下级出现" + (f"；本次看到的类型代码：{'、'.join(types)}" if types else ""))

    members = traffic.results("member_list")
    member_keys = ["list", "id", "name", "id_number", "branch_name"]
    _keys_of(checks, "api.members", member_keys, ["list"], _keys(members), "没有看到团员列表的应答")
    people = _items(members, catalog.key("members", "list"))
    _keys_of(checks, "api.members", member_keys, member_keys[1:], _keys(people), "团员列表为空")

    approvals = traffic.results("approval_list")
    approval_keys = list(catalog.data["api.approvals"])
    _keys_of(checks, "api.approvals", approval_keys, ["rows", "total"], _keys(approvals), "没有看到审批列表的应答")
    rows = _items(approvals, catalog.key("approvals", "rows"))
    _keys_of(checks, "api.approvals", approval_keys, [k for k in approval_keys if k not in ("rows", "total")],
             _keys(rows), "审批列表中暂无申请，无法核对每条申请的字段")
    for name in catalog.data["api.apply"]:
        checks.unchecked(f"api.apply.{name}", SECTION, "只读检查不会提交申请，看不到它的应答")
