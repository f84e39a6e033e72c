"""Page object for 办理转出 (`[pages] transfer_out`): choose the member, fill, check, submit.

    form = TransferForm(page, catalog)
    await form.open()                 # also the reset between two rows (see `open`)
    await form.fill(row)              # every field, then read back and compared with the row
    await form.screenshot(path)       # the whole filled form, the chosen org path visible
    result = await form.submit()      # SubmitResult, or the error the portal's answer means

Every label, option text and message comes from the catalog (`selectors/portal.toml`), and so
does the way the page chooses a member and a target org (`[strategies]`: member_picker.py,
org_picker.py). Waits are conditions (a locator becoming visible, the portal's API answer),
never fixed pauses.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from playwright.async_api import Error as PlaywrightError

from rpa.config import DEFAULT_TIMEOUT_MS
from rpa.errors import ConfigError, FieldMismatch, MemberNotFound, OrgNotFound, PortalBusy, PortalTimeout, SessionExpired
from rpa.portal.member_picker import member_picker
from rpa.portal.navigation import Navigator
from rpa.portal.org_picker import org_picker
from rpa.portal.submission import Submission
from rpa.portal.widgets import WAIT_ERRORS, Select, first_line, portal_results, shown_texts, then_retry, url_path
from rpa.vocabulary import Destination, TargetKind

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page, Request

    from rpa.batch import TransferRow
    from rpa.catalog import Catalog

# The fields read back after filling, in the form's order (keys of [transfer.labels], and the
# unit's two fields, whose labels follow the reason: UNIT_LABELS).
READ_BACK = (
    "name", "id_number", "phone", "contact", "branch", "province_flag", "province",
    "target_full_name", "reason", "study_type", "unit_name", "unit_address", "target", "remark",
)
# The unit a row names (batch 转入单位名称/地址) is the admitting school for 升学 and the employer
# for a job: the form labels its two fields accordingly.
UNIT_LABELS = {
    "unit_name": ("school_name", "employer_name"),
    "unit_address": ("school_address", "employer_address"),
}
# How far a screenshot may grow to show a long form (px).
MAX_SHOT_HEIGHT = 5000
# Rows filled on one page load before it is loaded again. A page kept between rows keeps its
# document, and the renderer grew ~0.2 MB a row (measured over 175 rows, when the form was
# renewed through the menu); a page load every 50 rows kept it flat.
RELOAD_EVERY = 50
# Height a scroll container (el-main) would need to show all of its content, in px.
_EXTRA_HEIGHT_JS = """
() => {
  let extra = 0;
  for (const el of document.querySelectorAll('*')) {
    if (el.scrollHeight <= el.clientHeight + 1 || !el.offsetParent) continue;
    const overflow = getComputedStyle(el).overflowY;
    if (overflow === 'auto' || overflow === 'scroll') extra = Math.max(extra, el.scrollHeight - el.clientHeight);
  }
  return extra;
}
"""


# Widen (True) an org picker's widget to show its whole text, or put its width back (False); for
# each widget matched (evaluate_all), whether it changed.
_WIDEN_JS = """
(roots, widen) => roots.map(root => {
  const input = root.querySelector('input');
  if (!input) return false;
  const chain = [];
  for (let el = input; el && el !== root.parentElement; el = el.parentElement) chain.push(el);
  if (!widen) {
    chain.forEach(el => { el.style.width = el.dataset.rpaWidth || ''; delete el.dataset.rpaWidth; });
    return true;
  }
  const missing = input.scrollWidth - input.clientWidth;
  if (missing <= 0) return false;
  chain.forEach(el => {
    el.dataset.rpaWidth = el.style.width;
    el.style.width = (el.getBoundingClientRect().width + missing + 8) + 'px';
  });
  return true;
})
"""

class TransferForm(Submission):
    """办理转出: the card 选择转出人 and the transfer form below it."""

    def __init__(
        self, page: Page, catalog: Catalog, timeout_ms: float = DEFAULT_TIMEOUT_MS, evidence_dir: Path | None = None
    ) -> None:
        """`timeout_ms` bounds every wait on a condition (pass `settings.timeout_ms`);
        `evidence_dir` is where a screenshot of an unexpected page goes."""
        self.page = page
        self.catalog = catalog
        self.timeout = timeout_ms
        self._row: TransferRow | None = None
        # Whether the last row left the page in a known state (filled, or submitted and accepted).
        self._settled = False
        self.reload_every = RELOAD_EVERY
        self._renewals = 0  # forms renewed in place since the page was last loaded
        self.picker = member_picker(page, catalog, timeout_ms)  # the card 选择转出人
        self.nav = Navigator(page, catalog, timeout_ms, evidence_dir)
        self.org_picker = org_picker(page, catalog, self.item("target"), timeout_ms)  # 申请转入组织
        self._pending: Request | None = None  # an apply request whose answer was not read
        self.read_back: dict[str, str] = {}  # every field as the last read showed it (label → value)

    # --- locators ------------------------------------------------------------------------------

    def _loc(self, key: str) -> Locator:
        return self.catalog.locator(self.page, key)

    def item(self, field: str) -> Locator:
        """The form item of a field of the transfer form (`[transfer.labels]` key)."""
        return self.catalog.field(self.form, self.catalog.label(field))

    def _input(self, field: str) -> Locator:
        return self.item(field).locator(self.catalog.css("widgets.input")).first

    def _select(self, root: Locator) -> Select:
        return Select(self.page, self.catalog, root.locator(self.catalog.css("widgets.select")).first, self.timeout)

    @property
    def form(self) -> Locator:
        return self._loc("transfer.form")

    @property
    def phone_input(self) -> Locator:
        return self._input("phone")

    @property
    def contact_input(self) -> Locator:
        return self._input("contact")

    @property
    def flag_select(self) -> Locator:
        return self.item("province_flag")

    @property
    def province_select(self) -> Locator:
        return self.item("province")

    @property
    def full_name_input(self) -> Locator:
        return self._input("target_full_name")

    @property
    def reason_select(self) -> Locator:
        return self.item("reason")

    @property
    def study_type_select(self) -> Locator:
        return self.item("study_type")

    def unit_input(self, field: str, expected: dict[str, str]) -> Locator:
        """The input of the unit's name or address (`unit_name` / `unit_address`) under the
        label the row's reason gives it."""
        return self._input(self._unit_label_key(field, expected))

    def _unit_label_key(self, field: str, expected: dict[str, str]) -> str:
        school, employer = UNIT_LABELS[field]
        return school if "study_type" in expected else employer

    @property
    def remark_input(self) -> Locator:
        return self._input("remark")

    @property
    def submit_button(self) -> Locator:
        return self.catalog.locator(self.form, "transfer.submit")

    @property
    def reset_button(self) -> Locator:
        return self.catalog.locator(self.form, "transfer.reset")

    @property
    def signin_form(self) -> Locator:
        """Shown instead of the page when the portal sent us back to sign in."""
        return self._loc("signin.submit")

    # --- open ----------------------------------------------------------------------------------

    async def open(self) -> None:
        """Be on 办理转出, ready for the next row (this is also the reset between two rows).

        After a row that went through cleanly the page is kept, as a person would keep it:
        `fill` chooses the next member in the card 选择转出人, and the portal answers a new
        member with a fresh, empty form. After anything else (first row, an error, a page in
        an unknown state), and every `reload_every` rows, the page is loaded anew.

        Raises `SessionExpired` when the portal shows the sign-in page instead, `PortalBusy`
        when it answers with an error, `PortalTimeout` when the page doesn't come in time.
        """
        self._row = None
        reload_due = self._renewals + 1 >= self.reload_every  # this page has had its rows
        keep, self._settled = self._settled and not reload_due and self.picker.shown is not None, False
        if keep:
            self._renewals += 1
            # The last row's messages ("申请迁移成功") may still show for a few seconds.
            await self._mark_messages_seen()
            # The confirmation's overlay outlives its box by ~200 ms. The card's first click
            # would retry until it is gone, and each try costs more than this one wait.
            try:
                await self._loc("widgets.modal").first.wait_for(state="hidden", timeout=self.timeout)
                return
            except WAIT_ERRORS:
                pass  # something still covers the page: load it again
        await self._load()

    async def _load(self) -> None:
        """Load 办理转出 afresh (by its path): the card and the form are empty."""
        self._renewals = 0
        self.picker.forget()
        branches_url = self.catalog.api_path("branch_list")
        error = self.catalog.locator(self.page, "widgets.message_error")
        landmark = self.nav.landmark("transfer_out")
        doing = f"打开“{self.catalog.page_name('transfer_out')}”时，"
        try:
            # The page asks the portal for the account's branches as it opens: that answer is
            # the sign that the page is usable (or the reason it isn't).
            async with self.page.expect_response(lambda r: url_path(r.url) == branches_url, timeout=self.timeout) as info:
                await self._goto()
                try:
                    await landmark.or_(self.signin_form).or_(error).first.wait_for(timeout=self.timeout)
                except WAIT_ERRORS:
                    raise await self.nav.unexpected(await self.nav.where(timeout_ms=0), "transfer_out", doing) from None
                if await self.signin_form.is_visible():
                    raise SessionExpired("门户登录已超时（打开“办理转出”时跳转到了登录页）。")
                if not await landmark.is_visible():
                    shown = await shown_texts(error)
                    raise PortalBusy(then_retry(f"打开“办理转出”时门户报错：{shown or '无说明'}"))
            await portal_results(await info.value, self.catalog, self.catalog.call("branch_list"))
            await self.picker.ready.wait_for(timeout=self.timeout)
        except WAIT_ERRORS:
            raise PortalTimeout("打开“办理转出”页面超时，请稍后重试。") from None
        except PlaywrightError as exc:
            raise PortalTimeout(f"打开“办理转出”页面失败：{first_line(exc)}") from None

    async def _goto(self) -> None:
        path = self.catalog.page_path("transfer_out")
        await self.page.goto(urljoin(self.page.url, path) if self.page.url.startswith("http") else path)

    # --- fill ----------------------------------------------------------------------------------

    async def fill(self, row: TransferRow) -> None:
        """Fill the form for `row`, then read every field back and compare with the row.

        Raises `MemberNotFound` (the member or the branch isn't there, with what is),
        `OrgNotFound` (a level of the target path is missing, with what its parent holds),
        `FieldMismatch` (the form read back differs), `SessionExpired` (sent back to sign in),
        `PortalTimeout` (the page didn't react in time).
        """
        expected = self.expected(row)
        self._settled = False
        step, field = "选择转出团支部", None
        try:
            if self.picker.is_shown(row):
                # Choosing the member on show again wouldn't renew the form: start from a new page.
                await self._load()
            await self.picker.choose(row)
            step, field = "填写表单", "phone"
            await self.phone_input.fill(row.phone)
            await self.contact_input.fill(row.contact)
            step, field = "选择“转入组织是否属于北京/广东/福建”", "province_flag"
            await self._pick(self.flag_select, expected["province_flag"], "province_flag")
            if "province" in expected:
                step, field = "选择转入省份", "province"
                await self._pick(self.province_select, expected["province"], "province")
                await self.full_name_input.fill(expected["target_full_name"])
            step, field = "选择转出原因", "reason"
            await self._pick(self.reason_select, expected["reason"], "reason")
            if "study_type" in expected:
                step, field = f"选择{self.catalog.label('study_type')}", "study_type"
                await self._pick(self.study_type_select, expected["study_type"], "study_type")
            for unit in ("unit_name", "unit_address"):
                if unit in expected:
                    field = self._unit_label_key(unit, expected)
                    step = f"填写{self.catalog.label(field)}"
                    await self.unit_input(unit, expected).fill(expected[unit])
            if "target" in expected:
                step, field = "选择申请转入组织", "target"
                await self.org_picker.choose(list(row.target_path or []))
            step, field = "填写备注", "remark"
            await self.remark_input.fill(expected["remark"])
            step, field = "核对表单", None
            await self.check(expected)
        except WAIT_ERRORS:
            await self._raise_if_signed_out()
            await self._raise_if_portal_error(f"第{row.row}行：{step}时")
            await self._raise_if_catalog_stale(field)
            raise PortalTimeout(f"第{row.row}行：{step}时门户页面没有按时响应，请稍后重试。") from None
        except (OrgNotFound, MemberNotFound, FieldMismatch):
            await self._raise_if_signed_out()
            raise
        except PlaywrightError as exc:  # the page closed or navigated away under us
            raise PortalTimeout(f"第{row.row}行：{step}时页面出错：{first_line(exc)}，请稍后重试。") from None
        self._row = row
        self._settled = True

    def expected(self, row: TransferRow) -> dict[str, str]:
        """What each field must show for `row` (only the fields the form shows for it)."""
        catalog = self.catalog
        rule = catalog.vocabulary.rule(Destination(row.destination))
        if rule.reason is None:
            raise ValueError(f"第{row.row}行的毕业去向 {row.destination!r} 不在门户中办理转出")
        special = rule.target == TargetKind.NONE
        flag = bool(row.province_flag) and not special
        values = {
            "name": row.name,
            "id_number": row.masked_id,
            "phone": row.phone,
            "contact": row.contact,
            "branch": row.branch,
            "province_flag": catalog.flag_option(flag),
            "reason": catalog.option("reason", rule.reason),
            "remark": row.remark or "",
        }
        if flag:
            values["province"] = catalog.option("province", row.province or "")
            values["target_full_name"] = row.target_full_name or ""
        if Destination(row.destination) == Destination.STUDY:
            study = row.study_type or catalog.vocabulary.default_study_type
            values["study_type"] = catalog.option("study_type", study)
        if rule.unit:
            values["unit_name"] = row.unit_name or ""
            values["unit_address"] = row.unit_address or ""
        if not flag and not special:
            if not row.target_path:
                raise FieldMismatch(f"第{row.row}行没有转入组织路径，无法选择申请转入组织。")
            values["target"] = catalog.text("org_picker.separator").join(row.target_path)
        return values

    async def read(self) -> dict[str, str]:
        """Every field the form shows now, as displayed (`READ_BACK` keys)."""
        widgets = self.catalog.data["widgets"]
        # One round trip for the whole form: (label, value of its first input) per form item.
        pairs = await self.form.locator(widgets["form_item"]["css"]).evaluate_all(
            """(items, [labelCss, inputCss]) => items.map(item => {
                 const label = item.querySelector(labelCss);
                 const input = item.querySelector(inputCss);
                 return [label ? label.textContent : '', input ? input.value : null];
               })""",
            [widgets["form_item_label"]["css"], widgets["input"]["css"]],
        )
        by_label = {_label_text(label): value.strip() for label, value in pairs if value is not None}
        self.read_back = by_label  # the whole form as shown, for the report (label → value)
        shown = {}
        for field in READ_BACK:
            labels = [self.catalog.label(key) for key in UNIT_LABELS.get(field, (field,))]
            value = next((by_label[label] for label in labels if label in by_label), None)
            if value is not None and field == "target":
                value = await self.org_picker.value()  # (the columns strategy has an input per level)
            if value is not None:
                shown[field] = value.strip()
        return shown

    async def check(self, expected: dict[str, str]) -> None:
        """Compare the form with `expected`; `FieldMismatch` listing every differing field."""
        shown = await self.read()
        wrong = []
        for field in READ_BACK:
            want, got = expected.get(field), shown.get(field)
            if want is None and got in (None, ""):
                continue
            if (want or "").strip() != (got or "").strip():
                label = self.catalog.label(self._unit_label_key(field, expected) if field in UNIT_LABELS else field)
                wrong.append(f"{label} 应为 {want or '（空）'!r}，页面显示 {got or '（空）'!r}")
        if wrong:
            raise FieldMismatch("表单回读与名单不一致：" + "；".join(wrong) + "。", fields=wrong)

    async def _pick(self, item: Locator, label: str, field: str) -> None:
        offered = await self._select(item).choose(label)
        if offered is not None:
            # The option texts come from the catalog: every row would fail the same way.
            raise ConfigError(
                f"门户的“{self.catalog.label(field)}”中没有选项 {label!r}（现有：{'、'.join(offered)}）。"
                f"门户的文字可能已改变，请核对{self.catalog.where}的 [options] 中的选项文字。"
            )

    async def _raise_if_catalog_stale(self, field: str | None) -> None:
        """A wait ran out because the page has no such item: the portal's wording changed."""
        where = self.catalog.where
        if field is not None and await self.form.count() == 0:
            raise ConfigError(
                f"门户页面上找不到转接申请表单（{where} 的 [transfer] form）。门户的文字可能已改变，请更新选择器目录。"
            )
        if field is not None and await self.item(field).count() == 0:
            raise ConfigError(
                f"门户页面上找不到“{self.catalog.label(field)}”一项（{where} 的 [transfer.labels] {field}）。"
                "门户的文字可能已改变，请更新选择器目录。"
            )

    async def _raise_if_portal_error(self, when: str) -> None:
        error = self.catalog.locator(self.page, "widgets.message_error").filter(visible=True)
        if await error.count():
            shown = await shown_texts(error)
            raise PortalBusy(then_retry(f"{when}门户报错：{shown}"))

    async def _raise_if_signed_out(self) -> None:
        if await self.signin_form.count() and await self.signin_form.is_visible():
            raise SessionExpired("门户登录已超时（页面跳转到了登录页）。")

    # --- screenshot ----------------------------------------------------------------------------

    async def screenshot(self, path: Path) -> None:
        """A screenshot of the whole page with the whole form (the org path shows in its field).

        The portal scrolls inside its main area, so the viewport is stretched for the shot; a
        long org path would be cut off ("…") in the fixed-width org picker, so its widgets are
        widened to their text for the shot. Both are put back afterwards.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        size = self.page.viewport_size or {"width": 1280, "height": 900}
        extra = int(await self.page.evaluate(_EXTRA_HEIGHT_JS) or 0)
        picker = self.org_picker.widgets
        widened = any(await picker.evaluate_all(_WIDEN_JS, True))  # (no picker on show: nothing to widen)
        if extra:
            await self.page.set_viewport_size({"width": size["width"], "height": min(size["height"] + extra, MAX_SHOT_HEIGHT)})
        try:
            # (Messages left from an earlier row are hidden already: see _MARK_SEEN_JS.)
            await self.page.screenshot(path=str(path), full_page=True)
        finally:
            if extra:
                await self.page.set_viewport_size(size)
            if widened:
                await picker.evaluate_all(_WIDEN_JS, False)


def _label_text(text: str) -> str:
    return re.sub(r"[:：]\s*$", "", (text or "").strip()).strip()
