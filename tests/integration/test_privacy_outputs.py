"""Secrets and personal data (SPEC §5, issue 5): after a real validate, preview and submit — with
a failed row, so a Playwright trace exists — the password is nowhere (output files, inside every
zip, the session file, the console); full ID numbers are only in results.xlsx and register.xlsx;
every file is private (0600, folders 0700); report.html shows a `<script>` name as text.
"""

from __future__ import annotations

import stat
import urllib.parse
import zipfile
from pathlib import Path

import pytest

from batchmaker import (
    ABROAD,
    ARMY,
    GUANGDONG,
    SANXIA,
    console_of,
    last_status,
    make_id,
    portal_env,
    rpa,
    why,
)
from rpa.demo import pick_members, plan_rows, write_batch

SCRIPT_NAME = "<script>alert(1)</script>"
# Files allowed to hold full ID numbers (SPEC §5): what the secretary files away, not logs.
MAY_HOLD_IDS = {"results.xlsx", "register.xlsx"}


def contents(path: Path) -> dict[str, bytes]:
    """A file's bytes; for a zip (xlsx, trace) every member's bytes, each under its own name."""
    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return {f"{path.name}!{name}": z.read(name) for name in z.namelist()}
    return {path.name: data}


def forms_of(secret: str) -> list[bytes]:
    """How a secret may be written: as is, form-encoded, JSON-escaped (non-ASCII), UTF-16."""
    forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
             secret.encode("unicode_escape").decode()}
    return [f.encode() for f in forms] + [secret.encode("utf-16-le")]


def leaks(where: dict[str, bytes], secret: str) -> list[str]:
    return [name for name, data in where.items() if any(f in data for f in forms_of(secret))]


def everything_in(folder: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            found.update({f"{path.relative_to(folder)}:{k}": v for k, v in contents(path).items()})
    return found


def assert_private(folder: Path) -> None:
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for path in folder.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path.relative_to(folder)}: {oct(mode)}"


@pytest.fixture
def batch(tmp_path, portal):
    """Six rows: a member named `<script>`, two ordinary ones, a retained one (register), one
    whose member already has an application open in the portal (the submit fails in the
    browser: evidence and trace) and one not approved."""
    members = pick_members(portal.members(), 5)
    hostile = {"name": SCRIPT_NAME, "id_number": make_id(seq="555"), "phone": "13912340555",
               "branch": members[0]["branch"]}
    portal.add_members([hostile])
    busy = members[4]
    portal.add_application(busy["id_number"], "转往特殊单位团组织")  # filed by the member himself
    rows = plan_rows([hostile, members[0], members[1], busy, members[2], members[3]],
                     [ARMY, SANXIA, ABROAD, ARMY, GUANGDONG, {**ARMY, "审核状态": "待审批"}])
    return write_batch(tmp_path / "名单.xlsx", rows), rows


async def test_no_password_and_no_full_id_number_outside_the_two_registers(tmp_path, portal, account, mock_server,
                                                                            batch, page):
    path, rows = batch
    env = portal_env(mock_server.url, account, tmp_path)
    password = env["RPA_PASSWORD"]
    ids = [r["身份证号"] for r in rows]

    runs = [
        rpa("validate", path, "--out", "checked", env=env, cwd=tmp_path),
        rpa("preview", path, "--out", "preview", env=env, cwd=tmp_path),
        rpa("submit", "--yes", path, "--out", "submit", env=env, cwd=tmp_path),
        rpa("status", "submit", env=env, cwd=tmp_path),
    ]

    assert [r.returncode for r in runs] == [0, 0, 1, 0], "\n".join(map(console_of, runs))
    submit = tmp_path / "submit"
    assert last_status(submit) == {3: "submitted", 4: "submitted", 5: "retained", 6: "duplicate", 7: "submitted",
                                   8: "skipped"}, why(submit)
    assert (submit / "traces" / "row-6.zip").exists() and (submit / "screenshots" / "row-6.png").exists()
    assert (submit / "register.xlsx").exists()

    # The password: nowhere at all.
    console = {f"console {i}": (r.stdout + r.stderr).encode() for i, r in enumerate(runs)}
    session = tmp_path / "session.json"
    assert session.exists()
    everywhere = {**everything_in(tmp_path / "preview"), **everything_in(submit),
                  **everything_in(tmp_path / "checked"), **contents(session), **console}
    assert leaks(everywhere, password) == []

    # Full ID numbers: only in results.xlsx and register.xlsx (checked.xlsx is the batch as
    # written, by design of `rpa validate --out`); and results.xlsx really does hold them.
    outputs = {**everything_in(tmp_path / "preview"), **everything_in(submit), **console,
               "checked/validation.json": (tmp_path / "checked" / "validation.json").read_bytes()}
    for id_number in ids:
        where = [name for name in leaks(outputs, id_number) if name.split(":")[0].split("!")[0] not in MAY_HOLD_IDS]
        assert where == [], f"{id_number[:4]}… appears in {where}"
    results = b"".join(contents(submit / "results.xlsx").values())
    assert all(i.encode() in results for i in ids)
    register = b"".join(contents(submit / "register.xlsx").values())
    assert rows[2]["身份证号"].encode() in register

    # Private files: 0600, folders 0700, the session file too.
    for folder in ("preview", "submit", "checked"):
        assert_private(tmp_path / folder)
    assert stat.S_IMODE(session.stat().st_mode) == 0o600

    # The report shows the `<script>` name as text; nothing in it runs.
    dialogs: list[str] = []

    async def on_dialog(dialog):
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", on_dialog)
    await page.goto((submit / "report.html").as_uri())
    assert await page.get_by_text(SCRIPT_NAME).count() >= 1
    await page.get_by_text(SCRIPT_NAME).first.wait_for(state="visible")
    assert dialogs == []
    assert await page.locator("script", has_text="alert(1)").count() == 0


def test_a_wrong_password_is_refused_without_being_echoed(tmp_path, portal, account, mock_server, batch):
    path, rows = batch
    wrong = "Wr0ng#蓝鲸-Pa55"
    env = portal_env(mock_server.url, account, tmp_path, RPA_PASSWORD=wrong)
    before = portal.applications()  # (the fixture's member with an application of his own)

    proc = rpa("submit", "--yes", path, "--out", "out", env=env, cwd=tmp_path)

    assert proc.returncode == 2, console_of(proc)
    assert "Traceback" not in proc.stdout + proc.stderr and "密码" in proc.stdout
    assert portal.applications() == before
    everywhere = {**everything_in(tmp_path / "out"), "console": (proc.stdout + proc.stderr).encode()}
    session = tmp_path / "session.json"
    if session.exists():
        everywhere.update(contents(session))
    assert leaks(everywhere, wrong) == []
