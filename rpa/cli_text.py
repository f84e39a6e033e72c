"""What the `rpa` command itself says, help pages and usage errors, in Chinese.

Typer (0.26 and later carry their own copy of click) writes help and usage errors in English
and offers no catalog to translate them. This module uses Typer's public extension points
instead: the app's group class (`typer.Typer(cls=ChineseGroup)`) and each command's class
(`@app.command(cls=ChineseCommand)`), subclasses of `typer.core.TyperGroup`/`TyperCommand`
that

- write the help page themselves (`format_help`), from each parameter's help text;
- run the command line with `standalone_mode=False`, so that a usage error comes back as a
  `typer.TyperException` whose attributes (`param`, `option_name`, …) are told in Chinese
  (`ChineseGroup.main`); its English message is never shown;
- find extra arguments and unknown commands themselves (`parse_args`, `resolve_command`).

Every usage error exits with 2.
"""

from __future__ import annotations

import contextlib
import difflib
import sys
import unicodedata
from collections.abc import Iterator
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

USAGE_EXIT = 2
HELP_OPTION_TEXT = "显示本帮助并退出。"
OPTIONS_METAVAR = "[选项]"
# Longest first column before its help text moves to the next line.
MAX_NAME_WIDTH = 28


class UsageProblem(Exception):
    """A usage error found by this module, its message already in Chinese."""

    def __init__(self, message: str, ctx: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.ctx = ctx


class ChineseCommand(TyperCommand):
    """A command whose help and usage errors are Chinese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["options_metavar"] = OPTIONS_METAVAR
        super().__init__(*args, **kwargs)
        # Extra arguments come back to parse_args below instead of an English error.
        self.context_settings = {**self.context_settings, "allow_extra_args": True}

    def format_help(self, ctx: Any, formatter: Any) -> None:
        formatter.write(render_help(self, ctx))

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        with _context_on_errors(ctx):
            rest = super().parse_args(ctx, args)
        if rest:
            raise UsageProblem(f"多余的参数：{' '.join(rest)}。", ctx)
        return rest


class ChineseGroup(TyperGroup):
    """The `rpa` command: its help, the list of commands, and every usage error, in Chinese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR
        self.subcommand_metavar = "命令 [参数]..."

    def format_help(self, ctx: Any, formatter: Any) -> None:
        formatter.write(render_help(self, ctx))

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args:  # `rpa` alone: the help, as a usage error (exit 2)
            typer.echo(render_help(self, ctx))
            raise typer.Exit(USAGE_EXIT)
        with _context_on_errors(ctx):
            return super().parse_args(ctx, args)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1)
            hint = f"您是不是要用 {close[0]}？" if close else ""
            raise UsageProblem(f"没有命令 {name!r}。{hint}", ctx)
        return super().resolve_command(ctx, args)

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except UsageProblem as exc:
            code = show_usage_error(exc.message, exc.ctx)
        except typer.TyperException as exc:  # click's usage errors derive from it since typer 0.26
            code = show_usage_error(explain(exc), getattr(exc, "ctx", None))
        except typer.Abort:
            typer.echo("已取消。", err=True)
            code = 1
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


@contextlib.contextmanager
def _context_on_errors(ctx: Any) -> Iterator[None]:
    """Attach `ctx` to a usage error raised without one (the option parser's), for the message."""
    try:
        yield
    except typer.TyperException as exc:
        if getattr(exc, "ctx", None) is None:
            exc.ctx = ctx
        raise


def show_usage_error(message: str, ctx: Any) -> int:
    """Tell a usage error: the message, the usage line, where the help is. Returns the exit code."""
    lines = [f"错误：{message}"]
    if ctx is not None:
        lines.append(f"用法：{usage_line(ctx.command, ctx)}")
        lines.append(f"运行 {ctx.command_path} --help 查看说明。")
    typer.echo("\n".join(lines), err=True)
    return USAGE_EXIT


def explain(exc: typer.TyperException) -> str:
    """A usage error from Typer, in Chinese, from the exception's attributes (never its text)."""
    ctx = getattr(exc, "ctx", None)
    param = getattr(exc, "param", None)
    if hasattr(exc, "possibilities"):  # an unknown option
        close = sorted(getattr(exc, "possibilities", None) or [])
        hint = f"您是不是要用 {'、'.join(close)}？" if close else ""
        return f"没有选项 {exc.option_name}。{hint}"
    if hasattr(exc, "option_name"):  # an option given without its value, or a flag with one
        option = _find_option(ctx, exc.option_name)
        if option is not None and getattr(option, "is_flag", False):
            return f"选项 {exc.option_name} 后面不能跟值。"
        return f"选项 {exc.option_name} 后面要跟一个值。"
    if param is not None:
        what = _param_label(param)
        if hasattr(exc, "param_type"):  # a missing argument or option
            return f"缺少{what}{_help_in_brackets(param)}。"
        expected = f"应为{param.metavar}" if _is_chinese(getattr(param, "metavar", None)) else "请检查写法"
        return f"{what} 的值无效：{expected}。"
    return "命令行的写法不对。"


def usage_line(cmd: Any, ctx: Any) -> str:
    """`rpa validate [选项] 名单.xlsx`: the command, then its arguments ([x] = optional)."""
    pieces = [ctx.command_path, OPTIONS_METAVAR]
    for param in cmd.get_params(ctx):
        if param.param_type_name == "argument":
            name = _argument_name(param)
            pieces.append(name if param.required else f"[{name}]")
    if isinstance(cmd, TyperGroup):
        pieces.append(cmd.subcommand_metavar)
    return " ".join(pieces)


def render_help(cmd: Any, ctx: Any) -> str:
    """The whole help page of `cmd`."""
    out = [f"用法：{usage_line(cmd, ctx)}", ""]
    if cmd.help:
        out += ["  " + line.strip() for line in cmd.help.strip().split("\f")[0].splitlines()] + [""]
    arguments, options = [], []
    help_option = cmd.get_help_option(ctx)
    for param in cmd.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        if param.param_type_name == "argument":
            arguments.append((_argument_name(param), (param.help or "") + ("（必填）" if param.required else "")))
        elif param is help_option:
            options.append((_option_names(param), HELP_OPTION_TEXT))
        else:
            options.append((_option_names(param), (param.help or "") + ("（必填）" if param.required else "")))
    if arguments:
        out += ["参数：", *_columns(arguments), ""]
    if options:
        out += ["选项：", *_columns(options), ""]
    if isinstance(cmd, TyperGroup):
        rows = []
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                rows.append((name, (sub.help or "").strip().splitlines()[0] if sub.help else ""))
        out += ["命令：", *_columns(rows), "", f"查看某个命令的说明：{ctx.command_path} 命令 --help，"
                f"例如 {ctx.command_path} validate --help。", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _columns(rows: list[tuple[str, str]]) -> list[str]:
    """Two columns aligned by display width (a Chinese character takes two cells)."""
    width = min(max((_width(name) for name, _ in rows), default=0), MAX_NAME_WIDTH)
    lines = []
    for name, text in rows:
        if _width(name) > width:
            lines += [f"  {name}", f"  {' ' * width}  {text}"]
        else:
            lines.append(f"  {name}{' ' * (width - _width(name))}  {text}".rstrip())
    return lines


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _argument_name(param: Any) -> str:
    return param.metavar or (param.name or "").upper()


def _option_names(param: Any) -> str:
    names = ", ".join(sorted([*param.opts, *param.secondary_opts], key=len))
    if getattr(param, "is_flag", False) or not param.metavar:
        return names
    return f"{names} {param.metavar}"


def _param_label(param: Any) -> str:
    if param.param_type_name == "argument":
        return f"参数 {_argument_name(param)}"
    return f"选项 {'/'.join(sorted(param.opts, key=len))}"


def _help_in_brackets(param: Any) -> str:
    return f"（{param.help}）" if param.help else ""


def _find_option(ctx: Any, name: str) -> Any:
    if ctx is None:
        return None
    return next((p for p in ctx.command.get_params(ctx) if name in getattr(p, "opts", ())), None)


def _is_chinese(text: str | None) -> bool:
    return bool(text) and any(unicodedata.east_asian_width(ch) == "W" for ch in text)
