"""办理转出 read-only: choose a member, reveal every field of the form, open the org picker.

    form = FormTour(steps, needs)
    if await form.member():        # the card 选择转出人, the catalog's strategy (or the other one)
        await form.fields()        # every label and option; the selects set, nothing typed
        await form.org_picker()    # the top level and one level down

Which strategy the page uses is told by a marker entry of each (`MARKERS`): when the catalog's
is not there and the other's is, `[strategies]` reads "different" and the walk goes on the other
way, so the rest of the page is still checked. A renamed label is looked behind in the same way
(its candidate is used to open the select under it). Choosing in a select changes only what
the page shows; nothing is typed into the form and 提交 is never touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.async_api import Error as PlaywrightError

from rpa.check.candidates import clean
from rpa.check.entries import Status
from rpa.portal.member_picker import mask
from rpa.portal.widgets import WAIT_ERRORS, portal_results, url_path

if TYPE_CHECKING:
    from playwright.async_api import Locator

    from rpa.check.needs import Needs
    from rpa.check.steps import Steps

# The entries each widget strategy uses (the driver's: rpa/portal/member_picker.py, org_picker.py).
STRATEGY_KEYS = {
    "member_picker": {"selects": ("branch", "member"),
                      "search_table": ("open", "dialog", "by_name", "search", "query", "row", "pick")},
    "org_picker": {"cascader": ("cascader", "popper", "menu", "node", "node_label", "node_radio", "node_loading",
                                "node_expand"),
                   "columns": ("column",)},
}
# The entry that shows a strategy is the one on the page.
MARKERS = {"member_picker": {"selects": "branch", "search_table": "open"},
           "org_picker": {"cascader": "cascader", "columns": "column"}}
# Form items shown as soon as a member is chosen (the rest follow a choice: CONDITIONAL).
FORM_ITEMS = ("name", "id_number", "phone", "contact", "branch", "branch_admin", "branch_phone", "parent_phone",
              "province_flag", "reason", "applied_at", "remark")
# Branches tried (in order) for one with members.
MAX_BRANCHES = 5
# Canonical 转出原因 that show the unit fields: the school (升学) and the employer.
STUDY_REASON = "升学"
JOB_REASON = "已落实工作单位（工作单位有团组织）"


class FormTour:
    def __init__(self, steps: Steps, needs: Needs) -> None:
        self.s = steps
        self.needs = needs
        self.catalog = steps.catalog
        self.checks = steps.checks
        self.page = steps.page

    # --- 选择转出人 ----------------------------------------------------------------------------------

    async def strategy(self, name: str, root: Locator | None, section: str) -> str | None:
        """The strategy the page uses for `name` (the catalog's first), recorded; None when the
        marker of neither is there."""
        chosen = self.catalog.strategy(name)
        order = [chosen] + [k for k in STRATEGY_KEYS[name] if k != chosen]
        for kind in order:
            if await self.s.shows(self.s.loc(f"{name}.{MARKERS[name][kind]}", root), 0 if kind != chosen else 500):
                if kind == chosen:
                    self.checks.found(f"strategies.{name}", section)
                else:
                    self.checks.differs(f"strategies.{name}", section, kind,
                                        note=f"门户用的是“{kind}”方式，已按这种方式继续核对")
                    for key in STRATEGY_KEYS[name][chosen]:  # the catalog's way: its entries aren't there
                        if key not in STRATEGY_KEYS[name][kind] and not await self.s.shows(self.s.loc(f"{name}.{key}", root)):
                            self.checks.absent(f"{name}.{key}", section, note=(
                                f"门户用的是“{kind}”方式：改好 strategies.{name} 那一行后就不再需要这一项"))
                for other in STRATEGY_KEYS[name]:
                    if other != kind:
                        for key in STRATEGY_KEYS[name][other]:
                            if key not in STRATEGY_KEYS[name][kind]:
                                self.checks.unchecked(f"{name}.{key}", section, f"不适用：门户用的是“{kind}”方式")
                return kind
        return None

    async def member(self) -> bool:
        """Choose a member in the card 选择转出人; True once the form shows."""
        section = "member"
        await self.s.probe("member_picker.card", section, wait_ms=self.s.timeout)
        kind = await self.strategy("member_picker", None, section)
        if kind is None:
            chosen = self.catalog.strategy("member_picker")
            for key in STRATEGY_KEYS["member_picker"][chosen][:1]:
                await self.s.probe(f"member_picker.{key}", section)
            self.checks.absent("strategies.member_picker", section, note="两种方式的控件都没有找到")
            return False
        try:
            shown = await (self._selects() if kind == "selects" else self._search())
        except (PlaywrightError, *WAIT_ERRORS):
            shown = False
        if not shown:
            return False
        return await self.s.shows(self.s.loc("transfer.form"), self.s.timeout)

    def _is_members(self, response) -> bool:
        return url_path(response.url) == self.catalog.api_path("member_list")

    async def _members(self, response) -> list[dict]:
        try:
            results = await portal_results(response, self.catalog, self.catalog.call("member_list"))
        except Exception:  # noqa: BLE001 - the API section tells what the answer lacked
            return []
        found = results.get(self.catalog.key("members", "list")) if isinstance(results, dict) else None
        return [m for m in found or [] if isinstance(m, dict)]

    def _option_text(self, member: dict) -> str:
        key = self.catalog.key
        return self.catalog.member_option(str(member.get(key("members", "name")) or ""),
                                          mask(str(member.get(key("members", "id_number")) or "")))

    async def _selects(self) -> bool:
        s, section = self.s, "member"
        branch_item = await s.probe("member_picker.branch", section)
        member_item = await s.probe("member_picker.member", section)
        if branch_item is None or member_item is None:
            return False
        branch_select = s.select_in(branch_item)
        offered = await s.open_select("member_picker.branch", branch_select)
        wanted = self.needs.member[0] if self.needs.member else None
        order = ([wanted] if wanted in offered else []) + [b for b in offered if b != wanted]
        members: list[dict] = []
        for i, branch in enumerate(order[:MAX_BRANCHES]):
            if i:
                await s.open_select("member_picker.branch", branch_select)
            async with self.page.expect_response(self._is_members, timeout=s.timeout) as info:
                if not await s.choose_open("member_picker.branch", branch):
                    return False
            members = await self._members(await info.value)
            if members:
                break
        if not members:
            self.checks.unchecked("member_picker.option", section, "所试的团支部中没有团员，无法选择转出人")
            return False
        member_select = s.select_in(member_item)
        options = await s.open_select("member_picker.member", member_select)
        text = self._option_text(members[0])
        if text in options:
            self.checks.found("member_picker.option", section)
        else:
            # (the options are people: never offered as candidates)
            self.checks.absent("member_picker.option", section,
                               note=f"转出人选项的写法与目录不同（共 {len(options)} 个选项）")
        return await s.choose_open("member_picker.member", text if text in options else options[0]) if options else False

    async def _search(self) -> bool:
        s, section = self.s, "member"
        opener = await s.probe("member_picker.open", section)
        if opener is None:
            return False
        await s.safe.click("member_picker.open", opener.first)
        if await s.probe("member_picker.dialog", section, wait_ms=s.timeout) is None:
            return False
        by_name = await s.probe("member_picker.by_name", section)
        if by_name is not None:
            await s.safe.click("member_picker.by_name", by_name.first)
        box = await s.probe("member_picker.search", section)
        query = await s.probe("member_picker.query", section)
        if box is None or query is None:
            return False
        names = ([self.needs.member[1]] if self.needs.member else []) + list(self.catalog.texts("check.probe_names"))
        members: list[dict] = []
        for name in names:
            await s.safe.fill("member_picker.search", box.first, name)
            async with self.page.expect_response(self._is_members, timeout=s.timeout) as info:
                await s.safe.click("member_picker.query", query.first)
            members = await self._members(await info.value)
            if members:
                break
        if not members:
            self.checks.unchecked("member_picker.row", section, "按常见姓氏没有查到团员，无法选择转出人")
            return False
        row = s.loc("member_picker.row")
        if await s.probe("member_picker.row", section, wait_ms=s.timeout) is None:
            return False
        pick = await s.probe("member_picker.pick", section, row.first)
        if pick is None:
            return False
        await s.safe.click("member_picker.pick", pick.first)
        card_inputs = s.loc("member_picker.card").locator(self.catalog.css("widgets.input"))
        text = self._option_text(members[0])
        try:
            values = await card_inputs.evaluate_all("els => els.map(e => e.value)")
        except PlaywrightError:
            values = []
        if text in [clean(v) for v in values]:
            self.checks.found("member_picker.option", section)
        else:
            self.checks.absent("member_picker.option", section, note="选中的转出人在页面上的写法与目录不同")
        return True

    # --- the form ------------------------------------------------------------------------------------

    async def fields(self) -> Locator:
        """Every label of the form, revealing the conditional ones; every option of its selects."""
        s, section = self.s, "form"
        form = s.loc("transfer.form").first
        self.checks.found("transfer.form", section)
        for key in ("steps", "submit", "reset"):
            await s.present(f"transfer.{key}", section, form if key != "steps" else None)
        items = await s.labels(form, list(FORM_ITEMS))
        flag = items.get("province_flag")
        if flag is not None:
            flag_select = s.select_in(flag)
            offered = await s.open_select("transfer.labels.province_flag", flag_select)
            flags = await s.options_of("province_flag", offered)
            if self._wants("province") and "yes" in flags and await s.choose_open(
                    "transfer.labels.province_flag", flags["yes"]):
                more = await s.labels(form, ["province", "target_full_name"])
                if "province" in more:
                    province = s.select_in(more["province"])
                    await s.options_of("province", await s.open_select("transfer.labels.province", province))
                    await s.close_select(province)
                await s.open_select("transfer.labels.province_flag", flag_select)
            else:
                self._unreached(["province", "target_full_name"], "province")
            if not ("no" in flags and await s.choose_open("transfer.labels.province_flag", flags["no"])):
                await s.close_select(flag_select)
        reason = items.get("reason")
        if reason is not None:
            reason_select = s.select_in(reason)
            reasons = await s.options_of("reason", await s.open_select("transfer.labels.reason", reason_select))
            if self._wants("study_type") and STUDY_REASON in reasons and await s.choose_open(
                    "transfer.labels.reason", reasons[STUDY_REASON]):
                more = await s.labels(form, ["study_type", "school_name", "school_address"])
                if "study_type" in more:
                    study = s.select_in(more["study_type"])
                    await s.options_of("study_type", await s.open_select("transfer.labels.study_type", study))
                    await s.close_select(study)
            else:
                await s.close_select(reason_select)
                self._unreached(["study_type", "school_name", "school_address"], "study_type")
            if self._wants("employer_name") and JOB_REASON in reasons:
                await s.open_select("transfer.labels.reason", reason_select)
                if await s.choose_open("transfer.labels.reason", reasons[JOB_REASON]):
                    await s.labels(form, ["employer_name", "employer_address"])
                else:
                    await s.close_select(reason_select)
            else:
                self._unreached(["employer_name", "employer_address"])
        if flag is not None and reason is not None:
            await s.labels(form, ["target"])
        else:
            self._unreached(["target"])
        for key in ("form_item", "form_item_label", "select", "select_dropdown", "select_option", "input"):
            self.checks.found(f"widgets.{key}", "other", note="核对表单时用到")
        return form

    def _wants(self, label: str) -> bool:
        """Whether to reveal the conditional field `label` (quick mode: only when the run needs it)."""
        return not self.needs.quick or f"transfer.labels.{label}" in self.needs.keys

    def _unreached(self, keys: list[str], group: str | None = None) -> None:
        for key in keys:
            self.checks.unchecked(f"transfer.labels.{key}", "form", "要先在表单中做出选择才会出现，本次没能选到")
        if group:
            for key in self.catalog.data[f"options.{group}"]:
                self.checks.unchecked(f"options.{group}.{key}", "form", "所在的一项没有出现，无法核对")

    # --- 申请转入组织 --------------------------------------------------------------------------------

    async def org_picker(self, form: Locator) -> bool:
        """Open the org picker: the top level, then one level down; True when it worked."""
        section = "org"
        label = self.checks.renamed("transfer.labels.target") or self.catalog.label("target")
        if self.checks.status("transfer.labels.target") not in (Status.FOUND, Status.DIFFERENT):
            return False
        item = self.catalog.field(form, label)
        kind = await self.strategy("org_picker", item, section)
        if kind is None:
            await self.s.probe(f"org_picker.{MARKERS['org_picker'][self.catalog.strategy('org_picker')]}",
                               section, item)
            self.checks.absent("strategies.org_picker", section, note="两种方式的控件都没有找到")
            return False
        try:
            return await (self._cascader(item) if kind == "cascader" else self._columns(item))
        except (PlaywrightError, *WAIT_ERRORS):
            return False

    async def _cascader(self, item: Locator) -> bool:
        s, section, css = self.s, "org", self.catalog.css
        widget = s.loc("org_picker.cascader", item).first
        self.checks.found("org_picker.cascader", section)
        await s.safe.click("org_picker.cascader", widget)
        popper = s.loc("org_picker.popper").filter(visible=True)
        if not await s.present("org_picker.popper", section, wait_ms=s.timeout):
            return False
        menus = popper.locator(css("org_picker.menu"))
        if not await s.present("org_picker.menu", section, popper, wait_ms=s.timeout):
            return False
        top = menus.nth(0).locator(css("org_picker.node"))
        await s.present("org_picker.node", section, menus.nth(0), wait_ms=s.timeout)
        await s.present("org_picker.node_label", section, top.first)
        await s.present("org_picker.node_radio", section, top.first)
        self.checks.unchecked("org_picker.node_loading", section, "只在载入下一级时短暂出现")
        expandable = top.filter(has=self.page.locator(css("org_picker.node_expand")))
        if not await s.present("org_picker.node_expand", section, menus.nth(0)):
            await self._escape(widget, popper)
            return True
        first = expandable.first
        top_name = clean(await first.locator(css("org_picker.node_label")).inner_text())
        await s.safe.click("org_picker.node", first)
        below = menus.nth(1).locator(css("org_picker.node"))
        await below.first.wait_for(timeout=s.timeout)
        second_name = clean(await below.first.locator(css("org_picker.node_label")).inner_text())
        await s.safe.click("org_picker.node_radio", below.first.locator(css("org_picker.node_radio")).first)
        value = clean(await widget.locator("input").first.input_value())
        separator = self.catalog.text("org_picker.separator")
        if value == f"{top_name}{separator}{second_name}":
            self.checks.found("org_picker.separator", section)
        elif value.startswith(top_name) and value.endswith(second_name) and len(value) > len(top_name + second_name):
            self.checks.differs("org_picker.separator", section, value[len(top_name):-len(second_name)])
        else:
            self.checks.unchecked("org_picker.separator", section, "选中后输入框中没有显示路径")
        await self._escape(widget, popper)
        return True

    async def _escape(self, widget: Locator, popper: Locator) -> None:
        if await popper.count():
            await widget.locator("input").first.press("Escape")
            try:
                await popper.first.wait_for(state="hidden", timeout=self.s.timeout)
            except WAIT_ERRORS:
                pass

    async def _columns(self, item: Locator) -> bool:
        s, section = self.s, "org"
        columns = s.loc("org_picker.column", item)
        self.checks.found("org_picker.column", section)
        self.checks.unchecked("org_picker.separator", section, "不适用：逐级选择时路径由本工具拼接")
        offered = await s.open_select("org_picker.column", columns.first)
        if not offered:
            await s.close_select(columns.first)
            return False
        await s.choose_open("org_picker.column", offered[0])
        try:
            await columns.nth(1).wait_for(timeout=s.timeout)
        except WAIT_ERRORS:
            return True  # a leaf at the top: nothing below it
        await s.open_select("org_picker.column", columns.nth(1))
        await s.close_select(columns.nth(1))
        return True

