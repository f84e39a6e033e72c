"""Ordinary mistakes get a Chinese message naming the real cause and the next step (issue 18):
no account set, a saved session of another account, a sign-in window where no desktop is."""

from __future__ import annotations

from batchmaker import ARMY, console_of, portal_env, rpa
from rpa.demo import pick_members, plan_rows, write_batch


def test_no_account_or_password_says_so_and_how_to_set_them_not_that_a_captcha_is_needed(
        tmp_path, portal, account, mock_server):
    batch = write_batch(tmp_path / "名单.xlsx", plan_rows(pick_members(portal.members(), 1), [ARMY]))
    env = portal_env(mock_server.url, account, tmp_path)
    del env["RPA_USERNAME"], env["RPA_PASSWORD"]

    run = rpa("preview", batch, "--out", "out", env=env, cwd=tmp_path)

    assert run.returncode == 2, console_of(run)
    assert "还没有设置登录门户的账号和密码" in run.stdout and "rpa init" in run.stdout
    assert "验证码" not in run.stdout and "Traceback" not in run.stdout + run.stderr


def test_a_saved_session_of_another_account_is_named_not_used(tmp_path, portal, account, mock_server):
    batch = write_batch(tmp_path / "名单.xlsx", plan_rows(pick_members(portal.members(), 1), [ARMY]))
    env = portal_env(mock_server.url, account, tmp_path)
    assert rpa("preview", batch, "--out", "first", env=env, cwd=tmp_path).returncode == 0  # session saved
    other = next(a for a in portal.accounts() if a["username"] != account["username"])
    env.update(RPA_USERNAME=other["username"])
    del env["RPA_PASSWORD"]  # (the secretary switched accounts, and has no password set for the new one)

    run = rpa("preview", batch, "--out", "second", env=env, cwd=tmp_path)

    assert run.returncode == 2, console_of(run)
    shown = "".join(run.stdout.split())
    masked = lambda n: n[:4] + "*" * 10 + n[-4:]  # noqa: E731
    assert "保存的登录状态属于另一个账号" in shown and masked(account["username"]) in shown
    assert masked(other["username"]) in shown and "rpalogin" in shown
    assert account["username"] not in run.stdout  # ID-number accounts are shown masked


def test_rpa_login_without_a_desktop_says_a_window_cannot_open(tmp_path, account, mock_server):
    env = portal_env(mock_server.url, account, tmp_path)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)

    run = rpa("login", env=env, cwd=tmp_path)

    assert run.returncode == 2, console_of(run)
    assert "无法打开浏览器窗口" in run.stdout and "没有图形界面" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr and "XServer" not in run.stdout + run.stderr
