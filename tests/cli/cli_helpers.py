"""Shared helpers of the command-line tests (no tests in this file): the `rpa` command as a
real process with a secretary's clean environment, and the check that what it printed is
Chinese with no traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

RPA = Path(sys.executable).with_name("rpa")
HERE = Path(__file__).resolve().parent

# Three or more English words in a row: a sentence the secretary can't read. Words are two
# letters or more; what may stand between them is spaces and ASCII punctuation, not Chinese.
LATIN_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[\s,;:'\"()!?-]+[A-Za-z]{2,}){2,}")
# Tokens that are fine in Chinese text: web addresses, option names (--out), variable names
# (RPA_PORTAL_URL), and anything with a dot, slash or backslash (file names, paths).
ALLOWED_TOKENS = re.compile(r"https?://\S+|(?<!\w)--?[A-Za-z][\w-]*(?:=\S*)?|RPA_[A-Z_]+|\S*[./\\]\S*")
HAN = re.compile(r"[\u4e00-\u9fff]")


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The machine's environment without any RPA_ setting, with HOME and the config folder in `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RPA_", "PYTHON_KEYRING"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), COLUMNS="200",
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    env.update(extra)
    return env


def rpa(*args: str, cwd: Path, env: dict[str, str], stdin: str = "", timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(RPA), *args], cwd=cwd, env=env, input=stdin, capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout)


def latin_sentences(text: str) -> list[str]:
    return LATIN_SENTENCE.findall(ALLOWED_TOKENS.sub(" ", text))


def assert_plain_chinese(result: subprocess.CompletedProcess) -> str:
    """What the user saw (stdout and stderr): Chinese, no English sentence, no traceback.

    Returned with line breaks removed: the console wraps long messages at its width."""
    seen = result.stdout + result.stderr
    assert "Traceback" not in seen, seen
    assert not latin_sentences(seen), f"English in what the user sees: {latin_sentences(seen)}\n{seen}"
    assert HAN.search(seen), seen
    return seen.replace("\n", "")
