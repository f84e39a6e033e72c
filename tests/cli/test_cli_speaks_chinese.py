"""Every command, run with bad arguments and bad settings, answers in Chinese: no English
sentence, no traceback, exit code 2. The commands are read from `rpa --help`, so a command
added later is covered without touching this file."""

from __future__ import annotations

import re

import pytest

from cli_helpers import assert_plain_chinese, clean_env, latin_sentences, rpa

USAGE = re.compile(r"^用法：rpa (\S+) \[选项\](.*)$", re.M)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def env(home):
    return clean_env(home)


@pytest.fixture(scope="module")
def commands(home, env) -> dict[str, dict]:
    """Each command of `rpa --help` with what its own help page says it takes."""
    listing = rpa("--help", cwd=home, env=env)
    assert listing.returncode == 0
    names = re.findall(r"^  (\w+)  ", listing.stdout.split("命令：")[1], re.M)
    found = {}
    for name in names:
        page = rpa(name, "--help", cwd=home, env=env).stdout
        options = page.split("选项：")[1] if "选项：" in page else ""
        found[name] = {
            "help": page,
            "arguments": USAGE.search(page).group(2).split(),
            "required": re.findall(r"^ +(?:-\w, )?(--[\w-]+) \S+ .*（必填）", options, re.M),
            "valued": re.findall(r"^ +(?:-\w, )?(--[\w-]+) \S+ ", options, re.M),
            "flags": [f for f in re.findall(r"^ +(?:-\w, )?(--[\w-]+)  ", options, re.M) if f != "--help"],
            "integers": re.findall(r"^ +(?:-\w, )?(--[\w-]+) 整数", options, re.M),
        }
    return found


def well_formed(spec: dict) -> list[str]:
    """Arguments that parse: a placeholder for every argument and required option."""
    args = ["x.xlsx" for a in spec["arguments"] if not a.startswith("[")]
    for option in spec["required"]:
        args += [option, "out"]
    return args


def test_the_commands_are_listed_in_rpa_help(commands):
    assert {"init", "template", "validate", "preview", "submit", "retry", "status", "login", "demo",
            "run"} <= set(commands)


def test_rpa_alone_and_rpa_help_are_chinese(home, env):
    for args, code in (((), 2), (("--help",), 0)):
        result = rpa(*args, cwd=home, env=env)
        assert result.returncode == code
        assert "用法：rpa [选项] 命令" in assert_plain_chinese(result)
        assert "显示本帮助并退出" in result.stdout


def test_every_help_page_is_chinese(commands):
    for name, spec in commands.items():
        assert spec["help"].startswith(f"用法：rpa {name}"), spec["help"]
        assert not latin_sentences(spec["help"]), (name, latin_sentences(spec["help"]))
        assert "显示本帮助并退出" in spec["help"]


def test_an_unknown_command_is_told_in_chinese_with_the_closest_one(home, env):
    result = rpa("valdate", "x.xlsx", cwd=home, env=env)
    assert result.returncode == 2
    assert "没有命令 'valdate'" in assert_plain_chinese(result) and "validate" in result.stderr


def bad_command_lines(spec: dict) -> list[tuple[list[str], str]]:
    """(arguments, what the message must say) for each mistake this command allows."""
    good = well_formed(spec)
    cases = [(["--no-such-option"], "没有选项"), ([*good, "多余的参数"], "多余的参数")]
    if good:
        cases.append(([], "缺少"))
    cases += [([*good, option], "后面要跟一个值") for option in spec["valued"][:1]]
    cases += [([*good, option, "很多"], "无效") for option in spec["integers"]]
    cases += [([*good, f"{flag}=1"], "不能跟值") for flag in spec["flags"][:1]]
    return cases


def test_every_command_with_bad_arguments_answers_in_chinese_with_exit_code_2(commands, home, env):
    for name, spec in commands.items():
        for args, expected in bad_command_lines(spec):
            result = rpa(name, *args, cwd=home, env=env)
            seen = assert_plain_chinese(result)
            assert result.returncode == 2, (name, args, seen)
            assert expected in result.stderr, (name, args, seen)
            assert f"运行 rpa {name} --help 查看说明" in result.stderr


def test_every_command_with_bad_settings_answers_in_chinese_and_blames_the_setting(commands, home, env, tmp_path):
    """The classic mistake, a portal address without http:// (`zhtj.youth.cn`), is a config error
    naming RPA_PORTAL_URL, not a portal fault. (`rpa demo` runs its own mock whatever the address,
    so the bad RPA_MAX_ATTEMPTS is what stops it.)"""
    job = tmp_path / "job.toml"
    job.write_text('[job]\nbatch = "x.xlsx"\nout = "out"\n', encoding="utf-8")
    bad = dict(env, RPA_PORTAL_URL="zhtj.youth.cn", RPA_MAX_ATTEMPTS="0", RPA_SESSION_FILE=str(tmp_path / "s.json"))
    for name, spec in commands.items():
        args = [str(job)] if name == "run" else well_formed(spec)
        result = rpa(name, *args, cwd=tmp_path, env=bad, timeout=60)
        seen = assert_plain_chinese(result)
        assert "门户暂时" not in seen
        if name in ("preview", "submit", "retry", "login", "run"):
            assert result.returncode == 2, (name, seen)
            assert "环境变量 RPA_PORTAL_URL 的值 'zhtj.youth.cn' 无效" in seen
            assert "http:// 或 https://" in seen
        if name == "demo":
            assert result.returncode == 2 and "环境变量 RPA_MAX_ATTEMPTS 的值 '0' 无效：不能小于 1" in seen


def test_an_option_value_that_breaks_a_setting_names_the_option(home, env):
    result = rpa("preview", "x.xlsx", "--out", "out", "--portal", "zhtj.youth.cn", cwd=home, env=env)
    assert result.returncode == 2
    assert "选项 --portal 的值 'zhtj.youth.cn' 无效" in assert_plain_chinese(result)
