"""The outputs a secretary opens while a run goes on: a results.xlsx open in Excel (Windows locks
it) must not stop the run or lose its state; the new content goes beside it, and the console
says which file to close. (Linux has no such lock: a folder in the file's place refuses the
replace the same way.)"""

from __future__ import annotations

import io

from rich.console import Console

from batchmaker import ARMY, SECRET, console_of, portal_env, rpa
from rpa.demo import pick_members, plan_rows, write_batch
from rpa.runner import retry_run, run_batch


def console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=300, highlight=False, color_system=None), buf


def test_a_results_file_that_cannot_be_replaced_is_saved_beside_it_and_named_on_the_console(
        tmp_path, portal, settings):
    rows = plan_rows(pick_members(portal.members(), 2), [ARMY, SECRET])
    batch = write_batch(tmp_path / "名单.xlsx", rows)
    out = tmp_path / "out"
    (out / "results.xlsx").mkdir(parents=True)  # "open in Excel": it can't be replaced
    con, buf = console()

    code = run_batch("preview", batch, out, settings, console=con)

    assert code == 0, buf.getvalue()
    text = buf.getvalue()
    assert "results.xlsx 正被其他程序（如 Excel、WPS）打开" in text and "请关闭 results.xlsx" in text
    beside = sorted(p.name for p in out.glob("results-*.xlsx"))
    assert len(beside) == 1 and beside[0] in text
    assert (out / "report.html").exists()  # the other outputs were written as usual

    (out / "results.xlsx").rmdir()  # closed in Excel
    con, buf = console()
    assert retry_run(out, settings, console=con) == 0
    assert (out / "results.xlsx").is_file() and "正被其他程序" not in buf.getvalue()


def test_validate_with_checked_xlsx_open_still_reports_and_saves_it_beside(tmp_path, portal, account, mock_server):
    rows = plan_rows(pick_members(portal.members(), 1), [ARMY])
    batch = write_batch(tmp_path / "名单.xlsx", rows)
    (tmp_path / "checked" / "checked.xlsx").mkdir(parents=True)

    run = rpa("validate", batch, "--out", "checked", env=portal_env(mock_server.url, account, tmp_path), cwd=tmp_path)

    assert run.returncode == 0, console_of(run)
    assert "checked.xlsx 正被其他程序" in run.stdout and "Traceback" not in run.stdout + run.stderr
    assert list((tmp_path / "checked").glob("checked-*.xlsx"))
    assert (tmp_path / "checked" / "validation.json").exists()
