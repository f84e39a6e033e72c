"""Browser discovery (SPEC §6): which executable a run launches, headless or not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rpa.browser import find_browser


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def no_browsers(tmp_path, monkeypatch) -> Path:
    """An empty PATH and an empty Playwright browser folder; returns the folder for PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "ms-playwright"))
    return bin_dir


def test_a_headless_run_takes_the_headless_shell_on_path_and_a_headed_one_the_browser(no_browsers):
    chromium = _executable(no_browsers / "chromium")
    shell = _executable(no_browsers / "chromium-headless-shell")

    headless = find_browser(headless=True)
    headed = find_browser(headless=False)

    assert headless is not None and headless.executable_path == str(shell)
    assert headed is not None and headed.executable_path == str(chromium)


def test_playwrights_own_headless_shell_is_taken_for_a_headless_run(no_browsers, tmp_path):
    own = tmp_path / "ms-playwright"
    chrome = _executable(own / "chromium-1255" / "chrome-linux64" / "chrome")
    shell_dir = own / "chromium_headless_shell-1255" / "chrome-headless-shell-linux64"
    shell = _executable(shell_dir / "chrome-headless-shell")

    assert find_browser(headless=True).executable_path == str(shell)
    assert find_browser(headless=False).executable_path == str(chrome)


def test_without_a_headless_shell_a_headless_run_takes_the_browser(no_browsers):
    chromium = _executable(no_browsers / "chromium")

    assert find_browser(headless=True).executable_path == str(chromium)


def test_the_secretarys_own_choice_wins_over_the_headless_shell(no_browsers, tmp_path):
    _executable(no_browsers / "chromium-headless-shell")
    edge = _executable(tmp_path / "Edge" / "msedge")

    by_path = find_browser(str(edge), None, headless=True)
    by_channel = find_browser(None, "msedge", headless=True)

    assert by_path.executable_path == str(edge) and by_path.source == "RPA_BROWSER_PATH"
    assert by_channel.channel == "msedge" and by_channel.executable_path is None


def test_no_browser_at_all_is_none(no_browsers):
    assert os.listdir(no_browsers) == []
    assert find_browser(headless=True) is None
