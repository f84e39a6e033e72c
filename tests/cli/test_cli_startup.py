"""`rpa --help` stays fast: it loads neither Playwright, nor openpyxl, nor keyring."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("playwright", "openpyxl", "keyring", "pydantic_settings")


def test_rpa_help_does_not_import_playwright_openpyxl_or_keyring():
    probe = (
        "import sys\n"
        "from rpa.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, encoding="utf-8")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
