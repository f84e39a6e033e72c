"""Page object for 办理转出 (`/zhtj/center/transfer/out`): choose the member, fill, check, submit.

    form = TransferForm(page, catalog)
    await form.open()                 # also the reset between two rows (see `open`)
    await form.fill(row)              # every field, then read back and compared with the row
    await form.screenshot(path)       # the whole filled form, the chosen org path visible
    result = await form.submit()      # SubmitResult, or the error the portal's answer means

Every label, option text and message comes from the catalog (`selectors/portal.toml`). Waits
are conditions (a locator becoming visible, the portal's API answer), never fixed pauses.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from playwright.async_api import Error as PlaywrightError

from rpa.config import DEFAULT_TIMEOUT_MS
from rpa.errors import (
    AnswerLost,
    ConfigError,
    DuplicateApplication,
    FieldMismatch,
    MemberNotFound,
    OrgNotFound,
    PortalBusy,
    PortalRejected,
    PortalTimeout,
    SessionExpired,
)
from rpa.portal.member_picker import MemberPicker
from rpa.portal.widgets import WAIT_ERRORS, OrgCascader, Select, portal_results, url_path
from rpa.vocabulary import Destination, TargetKind

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page, Request, Response

    from rpa.batch import TransferRow
    from rpa.catalog import Catalog

# The fields read back after filling, in the form's order (keys of [transfer.labels]).
READ_BACK = (
    "name", "id_number", "phone", "contact", "branch", "province_flag", "province",
    "target_full_name", "reason", "study_type", "target", "remark",
)
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


# Widen (True) the cascader to show its whole text, or put its width back (False); for each
# cascader matched (evaluate_all), whether it changed.
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

# Marks the messages on show (an attribute only the tool reads), so that later ones can be told
# apart, and hides them: a toast left from the row before would cover the card 选择转出人 at the
# top of the page (a click there waits until it fades, ~3 s) and speak for the wrong row in a
# screenshot. Hidden is not gone: the app still removes it when its time is up.
_SEEN = "data-rpa-seen"
_MARK_SEEN_JS = f"""css => document.querySelectorAll(css).forEach(el => {{
  el.setAttribute('{_SEEN}', '');
  el.style.visibility = 'hidden';
}})"""


@dataclass(frozen=True)
class SubmitResult:
    """What the portal answered to a stored application."""

    created_at: str | None
    application_id: int | None = None


class TransferForm:
    """办理转出: the card 选择转出人 and the transfer form below it."""

    def __init__(self, page: Page, catalog: Catalog, timeout_ms: float = DEFAULT_TIMEOUT_MS) -> None:
        """`timeout_ms` bounds every wait on a condition (pass `settings.timeout_ms`)."""
        self.page = page
        self.catalog = catalog
        self.timeout = timeout_ms
        self._row: TransferRow | None = None
        # Whether the last row left the page in a known state (filled, or submitted and accepted).
        self._settled = False
        self.reload_every = RELOAD_EVERY
        self._renewals = 0  # forms renewed in place since the page was last loaded
        self.picker = MemberPicker(page, catalog, timeout_ms)  # the card 选择转出人
        self._pending: Request | None = None  # an apply request whose answer was not read
        self.read_back: dict[str, str] = {}  # every field as the last read showed it (label → value)

    # --- locators ------------------------------------------------------------------------------

    def _loc(self, key: str) -> Locator:
        return self.catalog.locator(self.page, key)

    def item(self, field: str) -> Locator:
        """The form item of a field of the transfer form (`[transfer.labels]` key)."""
        return self.catalog.field(self.form, self.catalog.label(field))

    def _input(self, field: str) -> Locator:
        return self.item(field).locator(self.catalog.data["widgets"]["input"]["css"]).first

    def _select(self, root: Locator) -> Select:
        return Select(self.page, self.catalog, root.locator(self.catalog.data["widgets"]["select"]["css"]).first, self.timeout)

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

    @property
    def org_cascader(self) -> Locator:
        return self.item("target").locator(self.catalog.data["widgets"]["cascader"]["css"]).first

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
        """Load 办理转出 afresh: the card and the form are empty."""
        self._renewals = 0
        self.picker.forget()
        branches_url = self.catalog.api_path("branches")
        error = self.catalog.locator(self.page, "widgets.message_error")
        branch_select = self.picker.branch_select
        try:
            # The page asks the portal for the account's branches as it opens: that answer is
            # the sign that the page is usable (or the reason it isn't).
            async with self.page.expect_response(lambda r: url_path(r.url) == branches_url, timeout=self.timeout) as info:
                await self._goto()
                await branch_select.or_(self.signin_form).or_(error).first.wait_for(timeout=self.timeout)
                if await self.signin_form.is_visible():
                    raise SessionExpired("门户登录已超时（打开“办理转出”时跳转到了登录页）。")
                if not await branch_select.is_visible():
                    shown = "；".join(t.strip() for t in await error.all_inner_texts())
                    raise PortalBusy(f"打开“办理转出”时门户报错：{shown or '无说明'}，请稍后重试。")
            await portal_results(await info.value, self.catalog, "branches")
        except WAIT_ERRORS:
            raise PortalTimeout("打开“办理转出”页面超时，请稍后重试。") from None
        except PlaywrightError as exc:
            raise PortalTimeout(f"打开“办理转出”页面失败：{_first_line(exc)}") from None

    async def _goto(self) -> None:
        path = self.catalog.text("transfer.path")
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
                step, field = "选择升学类型", "study_type"
                await self._pick(self.study_type_select, expected["study_type"], "study_type")
            if "target" in expected:
                step, field = "选择申请转入组织", "target"
                cascader = OrgCascader(self.page, self.catalog, self.org_cascader, self.timeout)
                await cascader.choose(list(row.target_path or []))
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
            raise PortalTimeout(f"第{row.row}行：{step}时页面出错：{_first_line(exc)}，请稍后重试。") from None
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
        if not flag and not special:
            if not row.target_path:
                raise FieldMismatch(f"第{row.row}行没有转入组织路径，无法选择申请转入组织。")
            values["target"] = catalog.text("orgpicker.separator").join(row.target_path)
        return values

    async def read(self) -> dict[str, str]:
        """Every field the form shows now, as displayed (`[transfer.labels]` keys)."""
        widgets = self.catalog.data["widgets"]
        # One round trip for the whole form: (label, value of its input) per form item.
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
            value = by_label.get(self.catalog.label(field))
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
                wrong.append(f"{self.catalog.label(field)} 应为 {want or '（空）'!r}，页面显示 {got or '（空）'!r}")
        if wrong:
            raise FieldMismatch("表单回读与名单不一致：" + "；".join(wrong) + "。", fields=wrong)

    async def _pick(self, item: Locator, label: str, field: str) -> None:
        offered = await self._select(item).choose(label)
        if offered is not None:
            # The option texts come from the catalog: every row would fail the same way.
            raise ConfigError(
                f"门户的“{self.catalog.label(field)}”中没有选项 {label!r}（现有：{'、'.join(offered)}）。"
                f"门户的文字可能已改变，请核对选择器目录 {str(self.catalog.path)!r} 的 [options] 中的选项文字。"
            )

    async def _raise_if_catalog_stale(self, field: str | None) -> None:
        """A wait ran out because the page has no such item: the portal's wording changed."""
        where = f"选择器目录 {str(self.catalog.path)!r}"
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
            shown = "；".join(t.strip() for t in await error.all_inner_texts())
            raise PortalBusy(f"{when}门户报错：{shown}，请稍后重试。")

    async def _raise_if_signed_out(self) -> None:
        if await self.signin_form.count() and await self.signin_form.is_visible():
            raise SessionExpired("门户登录已超时（页面跳转到了登录页）。")

    # --- screenshot ----------------------------------------------------------------------------

    async def screenshot(self, path: Path) -> None:
        """A screenshot of the whole page with the whole form (the org path shows in its field).

        The portal scrolls inside its main area, so the viewport is stretched for the shot; a
        long org path would be cut off ("…") in the fixed-width cascader, so the cascader is
        widened to its text for the shot. Both are put back afterwards.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        size = self.page.viewport_size or {"width": 1280, "height": 900}
        extra = int(await self.page.evaluate(_EXTRA_HEIGHT_JS) or 0)
        cascader = self.org_cascader
        widened = any(await cascader.evaluate_all(_WIDEN_JS, True))  # (no cascader: nothing to widen)
        if extra:
            await self.page.set_viewport_size({"width": size["width"], "height": min(size["height"] + extra, MAX_SHOT_HEIGHT)})
        try:
            # (Messages left from an earlier row are hidden already: see _MARK_SEEN_JS.)
            await self.page.screenshot(path=str(path), full_page=True)
        finally:
            if extra:
                await self.page.set_viewport_size(size)
            if widened:
                await cascader.evaluate_all(_WIDEN_JS, False)

    # --- submit --------------------------------------------------------------------------------

    async def submit(self) -> SubmitResult:
        """Click 提交, confirm 确定 and read the portal's answer to the application.

        Returns `SubmitResult` on "申请迁移成功". Raises `DuplicateApplication` ("已有业务正在
        办理"), `PortalBusy` (1001 系统繁忙: not stored), `PortalRejected` (another 1001),
        `SessionExpired` (1009), `PortalTimeout` (nothing sent: the confirmation never showed),
        `AnswerLost` (sent, but no clear answer: HTTP 5xx, connection dropped, no answer in
        time — the application may be stored; look in the history before trying again).
        """
        catalog = self.catalog
        self._settled = False
        label = f"第{self._row.row}行" if self._row is not None else "本行"
        # A message still showing from the row before must not pass for this row's answer.
        await self._mark_messages_seen()
        box = catalog.locator(self.page, "widgets.message_box").filter(has_text=catalog.text("messages.confirm"))
        form_error = catalog.locator(self.form, "widgets.form_error").filter(visible=True)
        try:
            await self.submit_button.click()
            await box.or_(form_error).first.wait_for(timeout=self.timeout)
        except WAIT_ERRORS:
            await self._raise_if_signed_out()
            raise PortalTimeout(f"{label}：点击“提交”后没有出现确认框，申请未发出，请稍后重试。") from None
        except PlaywrightError as exc:
            raise PortalTimeout(f"{label}：点击“提交”时页面出错（{_first_line(exc)}），申请未发出，请稍后重试。") from None
        if not await box.is_visible():
            errors = "；".join(t.strip() for t in await form_error.all_inner_texts())
            raise PortalRejected(f"{label}：门户页面的表单校验未通过，申请未发出：{errors}")

        apply_url = catalog.api_path("apply")
        confirm = catalog.locator(box, "widgets.confirm")
        try:
            async with self.page.expect_request(lambda r: url_path(r.url) == apply_url and r.method == "POST") as info:
                await confirm.click()
            request = await info.value
        except PlaywrightError:
            # The click may have gone through; we can't tell whether the request left.
            raise AnswerLost(f"{label}：已点击“确定”，但没有看到提交请求，结果不明，请先在接转历史中核对。") from None
        return await self._read_apply_answer(request, label)

    async def _mark_messages_seen(self) -> None:
        await self.page.evaluate(_MARK_SEEN_JS, self.catalog.data["widgets"]["message"]["css"])

    def _new_messages(self) -> Locator:
        """The portal's messages (el-message) that appeared since 提交 was clicked."""
        return self.catalog.locator(self.page, "widgets.message").and_(self.page.locator(f":not([{_SEEN}])"))

    async def _read_apply_answer(self, request: Request, label: str) -> SubmitResult:
        lost = f"{label}：已提交，但没有收到门户的明确答复（{{why}}）。申请可能已保存，请先在接转历史中核对，切勿直接重复提交。"
        # The app answers every outcome with a message (or sends us to sign in). Waiting for that
        # bounds the wait: a request whose answer never comes would block `response()` for good.
        self._pending = request  # until its answer is read: see late_answer()
        answered = self._new_messages().or_(self.signin_form)
        try:
            await answered.first.wait_for(timeout=self.timeout)
        except WAIT_ERRORS:
            raise AnswerLost(lost.format(why=f"{self.timeout / 1000:g} 秒内没有答复")) from None
        try:
            response = await request.response()
        except PlaywrightError as exc:
            raise AnswerLost(lost.format(why=_first_line(exc))) from None
        if response is None:
            raise AnswerLost(lost.format(why=f"连接中断：{request.failure or '无应答'}"))
        self._pending = None
        result = await self._interpret(response, label, lost)
        try:
            toast = self._new_messages().filter(has_text=self.catalog.text("messages.submitted"))
            await toast.first.wait_for(timeout=min(self.timeout, 3000))
        except WAIT_ERRORS:
            pass  # the portal's answer is what counts; the toast is only for people
        self._settled = True
        return result

    async def late_answer(self, window_s: float) -> SubmitResult | None:
        """After `AnswerLost`: wait up to `window_s` for the request of the click to end.

        The portal's late answer when one comes (or the error it means); None when the request
        failed or is still open after the window, so the row stays in doubt. Until this has
        returned, the click could still land: nobody may look the row up in the history before.
        """
        request, self._pending = self._pending, None
        if request is None:
            return None
        label = f"第{self._row.row}行" if self._row is not None else "本行"
        lost = f"{label}：已提交，但没有收到门户的明确答复（{{why}}）。请先在接转历史中核对。"
        try:
            response = await asyncio.wait_for(request.response(), window_s)
        except (TimeoutError, PlaywrightError):
            return None
        if response is None or response.status >= 400:
            return None
        return await self._interpret(response, label, lost)

    async def _interpret(self, response: Response, label: str, lost: str) -> SubmitResult:
        """What the portal's answer to `transfer/apply` means: a result, or the matching error."""
        catalog = self.catalog
        if response.status >= 400:
            raise AnswerLost(lost.format(why=f"HTTP {response.status}"))
        try:
            answer = await response.json()
        except (ValueError, PlaywrightError):
            raise AnswerLost(lost.format(why="答复无法识别")) from None
        code, message = answer.get("retCode"), str(answer.get("retMsg") or "")
        api = catalog.data["api"]
        if code == api["ok"]:
            results = answer.get("results") or {}
            return SubmitResult(created_at=results.get("createdAt"), application_id=results.get("applicationId"))
        if code == api["expired"]:
            raise SessionExpired(f"{label}：提交时门户登录已超时（{message}）。")
        if catalog.text("messages.duplicate") in message:
            raise DuplicateApplication(f"{label}：门户答复“{message}”：该团员已有正在办理的转接申请，未重复提交。")
        if catalog.text("messages.busy") in message:
            raise PortalBusy(f"{label}：门户繁忙（{message}），申请未保存，请稍后重试。")
        if code == api["failed"]:
            raise PortalRejected(f"{label}：门户拒绝了申请：{message}", ret_msg=message)
        raise AnswerLost(lost.format(why=f"未知的结果代码 {code!r}：{message}"))


def _label_text(text: str) -> str:
    return re.sub(r"[:：]\s*$", "", (text or "").strip()).strip()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
