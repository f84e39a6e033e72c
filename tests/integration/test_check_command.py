"""`rpa check` as a secretary runs it: a real process against the real mock (or no portal)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

RPA = Path(sys.executable).with_name("rpa")


def rpa(*args: str, env: dict[str, str], cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(RPA), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout)


def base_env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")}
    env.update(RPA_TIMEOUT_MS="10000", RPA_SESSION_FILE=str(tmp_path / "session.json"), COLUMNS="200",
               HOME=str(tmp_path), **values)
    return env


def test_rpa_check_on_the_demo_mock_prints_every_section_found_and_exits_0(tmp_path, portal, settings):
    env = base_env(tmp_path, RPA_PORTAL_URL=settings.portal_url, RPA_USERNAME=settings.username,
                   RPA_PASSWORD=settings.password.get_secret_value())
    started = time.monotonic()
    result = rpa("check", "--out", str(tmp_path / "check"), env=env, cwd=tmp_path)
    seconds = time.monotonic() - started
    print(f"\n`rpa check` on the demo mock: {seconds:.1f} s (process start to exit)")

    seen = result.stdout + result.stderr
    assert result.returncode == 0, seen
    assert "Traceback" not in seen
    for title in ("登录页", "办理转出：转接申请表单", "组织关系审批", "门户接口"):
        assert f"✓ {title}" in seen, seen
    assert "✗" not in seen and "门户与选择器目录一致" in seen
    assert (tmp_path / "check" / "check.html").exists()
    assert json.loads((tmp_path / "check" / "check.json").read_text(encoding="utf-8"))["exit_code"] == 0
    assert settings.password.get_secret_value() not in (tmp_path / "check" / "check.json").read_text(encoding="utf-8")


def test_an_unreachable_portal_exits_2_with_a_plain_message(tmp_path):
    env = base_env(tmp_path, RPA_PORTAL_URL="http://127.0.0.1:9", RPA_USERNAME="37140219880315021X",
                   RPA_PASSWORD="x")
    result = rpa("check", "--out", str(tmp_path / "check"), env=env, cwd=tmp_path)

    seen = result.stdout + result.stderr
    assert result.returncode == 2, seen
    assert "无法连接门户" in seen and "Traceback" not in seen


def test_no_password_and_no_saved_session_exits_2_with_the_rpa_login_advice(tmp_path, portal, settings):
    env = base_env(tmp_path, RPA_PORTAL_URL=settings.portal_url)
    result = rpa("check", "--out", str(tmp_path / "check"), env=env, cwd=tmp_path)

    seen = result.stdout + result.stderr
    assert result.returncode == 2, seen
    assert "rpa login" in seen and "Traceback" not in seen
    assert "✓ 登录页" in seen  # (the sign-in page itself was checked before the sign-in failed)
