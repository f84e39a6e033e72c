"""The 提交 of a filled 办理转出 form: click, confirm, and read the portal's answer to it.

    result = await form.submit()            # SubmitResult, or the error the portal's answer means
    result = await form.late_answer(30)     # after AnswerLost: the answer that came late, if any

`Submission` is the part of `TransferForm` (transfer_form.py) that sends: it uses the form's
page, catalog, timeout, `form`, `submit_button`, `signin_form` and the row being filled. The
answer's keys (`[api.answer]`, `[api.apply]`) and messages come from the catalog.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from playwright.async_api import Error as PlaywrightError

from rpa.errors import AnswerLost, DuplicateApplication, PortalBusy, PortalRejected, PortalTimeout, SessionExpired
from rpa.portal.widgets import WAIT_ERRORS, first_line, read_answer, shown_texts, then_retry, url_path

if TYPE_CHECKING:
    from playwright.async_api import Locator, Request, Response


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
    application_id: str | int | None = None


class Submission:
    """Click 提交, confirm 确定, read the answer (a mixin of `TransferForm`)."""

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
            raise PortalTimeout(f"{label}：点击“提交”时页面出错（{first_line(exc)}），申请未发出，请稍后重试。") from None
        if not await box.is_visible():
            errors = await shown_texts(form_error)
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
        await self.page.evaluate(_MARK_SEEN_JS, self.catalog.css("widgets.message"))

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
            raise AnswerLost(lost.format(why=first_line(exc))) from None
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
        """What the portal's answer to the application (`[api.paths] apply`) means: a result, or the matching error."""
        catalog = self.catalog
        if response.status >= 400:
            raise AnswerLost(lost.format(why=f"HTTP {response.status}"))
        try:
            code, message, results = await read_answer(response, catalog)
        except ValueError:
            raise AnswerLost(lost.format(why="答复无法识别")) from None
        api = catalog.data["api"]
        if code == api["ok"]:
            results = results if isinstance(results, dict) else {}
            return SubmitResult(created_at=results.get(catalog.key("apply", "created_at")),
                                application_id=results.get(catalog.key("apply", "application_id")))
        if code == api["expired"]:
            raise SessionExpired(f"{label}：提交时门户登录已超时（{message}）。")
        if catalog.text("messages.duplicate") in message:
            raise DuplicateApplication(f"{label}：门户答复“{message}”：该团员已有正在办理的转接申请，未重复提交。")
        if catalog.text("messages.busy") in message:
            raise PortalBusy(f"{label}：门户繁忙，申请未保存：" + then_retry(message))
        if code == api["failed"]:
            raise PortalRejected(f"{label}：门户拒绝了申请：{message}", ret_msg=message)
        raise AnswerLost(lost.format(why=f"未知的结果代码 {code!r}：{message}"))
