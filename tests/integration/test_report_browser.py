"""report.html in a real Chromium, opened from disk as a secretary opens it: what she sees when she
signs a run off — the form's values, 转出原因 beside 毕业去向, the screenshots large, the tiles."""

from __future__ import annotations

import re
import stat

import pytest
from playwright.async_api import expect

from report_kit import BRANCH, MEMBERS, ROWS, mixed_run, write_run
from rpa.batch import load_batch
from rpa.report import build_views, forms_from, write_report
from rpa.runlog import LOG_NAME, RunMeta, last_states, read_records


async def open_report(page, tmp_path, mode: str = "preview", *, finished: bool = True, shots=None):
    """Write the mixed run's report with the real code, with a screenshot per browser row, and open it."""
    out = write_run(tmp_path, mixed_run(mode), mode=mode)
    for row in (3, 4, 5, 10):
        await page.set_content(f"<body style='margin:0;width:1280px;height:1500px;background:#fff'>"
                               f"<h1 style='font-size:64px'>第 {row} 行的表单截图</h1></body>")
        await page.screenshot(path=str(out / "screenshots" / f"row-{row}.png"), full_page=True)
    meta = RunMeta.load(out)
    records = read_records(out / LOG_NAME)
    views = build_views(load_batch(meta.batch_path), last_states(records), forms=forms_from(records))
    report = write_report(out, views, mode=mode, batch_name="名单.xlsx", finished=finished)
    await page.goto(report.as_uri())
    return report


def row(page, number: int):
    return page.locator("#rows tbody tr").filter(has=page.locator("td.rowno", has_text=re.compile(f"^{number}$")))


async def tile_texts(page) -> dict[str, str]:
    texts = await page.locator(".tile").all_inner_texts()
    return {t.split("\n")[0].strip(): t.split("\n")[-1].strip() for t in texts}


@pytest.mark.parametrize("mode", ["preview", "submit"])
async def test_each_row_shows_what_the_portal_form_held_and_says_when_it_only_has_the_batch(page, tmp_path, mode):
    await open_report(page, tmp_path, mode)

    signed = row(page, 3).locator("td.form")
    await expect(signed.locator(".source")).to_have_text("表单回读")
    # 转出团支部管理员 is filled by the portal, not the batch: this is the form as read back.
    await expect(signed.locator("div", has=page.get_by_text("转出团支部管理员", exact=True))).to_contain_text("史娜")
    await expect(signed.locator("div", has=page.get_by_text("申请转入组织", exact=True))).to_contain_text(
        "团湖北省委 / 三峡大学团委")
    older = row(page, 4).locator("td.form")
    await expect(older.locator(".source")).to_have_text("名单中的值（不是表单回读）")
    await expect(older).to_contain_text(BRANCH)
    await expect(older).not_to_contain_text("转出团支部管理员")


async def test_the_transfer_reason_stands_beside_the_graduation_destination(page, tmp_path):
    await open_report(page, tmp_path)

    headers = [h.split("⇅")[0].strip() for h in await page.locator("#rows thead th").all_inner_texts()]
    assert headers.index("转出原因") == headers.index("毕业去向") + 1
    study, job, kept = row(page, 3), row(page, 4), row(page, 6)
    await expect(study.locator("td.destination")).to_have_text("升学")
    await expect(study.locator("td.reason")).to_contain_text("升学")
    await expect(study.locator("td.reason")).to_contain_text("升学类型：普通高校")
    await expect(job.locator("td.destination")).to_have_text("就业（有团组织）")
    await expect(job.locator("td.reason")).to_have_text("已落实工作单位（工作单位有团组织）")
    await expect(job.locator("td.target")).to_contain_text("转入单位名称：国网山东省电力公司")
    await expect(job.locator("td.target")).to_contain_text("转入单位地址：山东省济南市市中区经二路150号")
    await expect(kept.locator("td.reason")).to_have_text("不转出（保留在校）")


async def test_a_thumbnail_opens_the_screenshot_large_and_the_arrow_keys_walk_the_rows(page, tmp_path, shots):
    await page.set_viewport_size({"width": 1366, "height": 768})  # a secretary's laptop
    await open_report(page, tmp_path)
    viewer = page.get_by_role("dialog")
    await expect(viewer).to_be_hidden()

    await row(page, 3).locator("img.thumb").click()

    await expect(viewer).to_be_visible()
    await expect(viewer.locator("#lb-caption")).to_have_text("第 3 行　张伟　已预览")
    big = viewer.locator("#lb-img")
    await expect(big).to_have_attribute("src", "screenshots/row-3.png")
    await expect(big).to_have_js_property("complete", True)
    width = (await big.bounding_box())["width"]
    assert width >= 1100, f"the screenshot is shown {width}px wide: too small to read"
    await page.screenshot(path=str(shots / "lightbox.png"))

    await page.keyboard.press("ArrowRight")
    await expect(big).to_have_attribute("src", "screenshots/row-4.png")
    await expect(viewer.locator("#lb-count")).to_have_text("2 / 4")
    await page.keyboard.press("ArrowLeft")
    await expect(big).to_have_attribute("src", "screenshots/row-3.png")
    await expect(viewer.get_by_role("button", name="← 上一行")).to_be_disabled()
    await viewer.get_by_role("button", name="下一行 →").click()
    await expect(viewer.locator("#lb-caption")).to_contain_text("第 4 行")

    await page.keyboard.press("Escape")
    await expect(viewer).to_be_hidden()


async def test_the_arrow_keys_follow_the_rows_the_tiles_show(page, tmp_path):
    await open_report(page, tmp_path)
    await page.locator(".tile", has_text="需要处理").click()
    await expect(row(page, 3)).to_be_hidden()

    await row(page, 5).locator("img.thumb").click()
    await page.keyboard.press("ArrowRight")

    # Row 4 (done, filtered out) is skipped: the next screenshot shown is row 10's.
    await expect(page.locator("#lb-img")).to_have_attribute("src", "screenshots/row-10.png")


async def test_a_preview_counts_previewed_rows_and_never_shows_a_submitted_tile(page, tmp_path, shots):
    await open_report(page, tmp_path, "preview")
    await page.screenshot(path=str(shots / "report-preview.png"), full_page=True)

    tiles = await tile_texts(page)
    assert tiles == {"全部": "8", "已预览（未提交）": "2", "需要处理": "4", "保留在校": "1", "未审批": "1",
                     "数据有误": "1", "失败": "2", "未办理": "1"}
    assert not any("已提交" in label for label in tiles)
    await expect(page.locator(".banner")).to_contain_text("没有提交任何申请")

    await page.locator(".tile", has_text="需要处理").click()
    shown = [int(n) for n in await page.locator("#rows tbody tr:visible td.rowno").all_inner_texts()]
    assert shown == [5, 8, 9, 10]


async def test_a_submit_run_counts_submitted_rows_and_rows_in_doubt(page, tmp_path):
    await open_report(page, tmp_path, "submit")

    tiles = await tile_texts(page)
    assert tiles == {"全部": "8", "已提交": "2", "需要处理": "4", "保留在校": "1", "未审批": "1", "数据有误": "1",
                     "失败": "1", "待核实": "1", "未办理": "1"}
    await expect(page.locator(".banner")).to_have_count(0)
    await expect(row(page, 3).locator("td.state")).to_contain_text("申请时间：2025-07-01 10:00:00")


async def test_a_run_still_going_counts_the_rows_not_reached_as_waiting_not_as_needing_a_person(page, tmp_path):
    await open_report(page, tmp_path, "preview", finished=False)

    await expect(page.locator(".meta")).to_contain_text("运行未结束或已中断")
    tiles = await tile_texts(page)
    assert tiles["需要处理"] == "3" and tiles["尚未办理"] == "1" and "未办理" not in tiles
    await expect(row(page, 9).locator("td.state")).to_contain_text("尚未轮到此行")
    await expect(page.locator(".hint")).to_contain_text("运行尚未结束或已中断")


async def test_names_from_the_batch_are_text_and_the_file_holds_no_full_id_and_nothing_external(page, tmp_path):
    dialogs = []
    page.on("dialog", lambda d: dialogs.append(d))
    report = await open_report(page, tmp_path)

    await expect(row(page, 4).locator(".name")).to_have_text("<script>alert(1)</script>")
    await expect(row(page, 5).locator(".name")).to_have_text("王[/]")
    assert dialogs == []
    html = report.read_text(encoding="utf-8")
    assert all(m["id_number"] not in html for m in MEMBERS)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert sorted(ROWS) == [int(n) for n in await page.locator("td.rowno").all_inner_texts()]
