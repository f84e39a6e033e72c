"""The `rpa` command: a thin layer over the modules; plain Chinese messages, never a traceback.

Help pages and usage errors are Chinese too (rpa/cli_text.py): every command is declared with
`@command()`, which gives it that class. Imports are lazy so that `rpa --help` does not load
Playwright, openpyxl or keyring.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Callable, Optional

import typer

from rpa.cli_text import ChineseCommand, ChineseGroup

app = typer.Typer(
    cls=ChineseGroup,
    help="智慧团建 团组织关系批量转出工具（zhtj-rpa）",
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: rich's markdown renderer is the biggest import on the `rpa --help` path.
    rich_markup_mode=None,
)
command = functools.partial(app.command, cls=ChineseCommand)

BatchArg = typer.Argument(..., help="已审批的批量转接名单（.xlsx）", metavar="名单.xlsx", show_default=False)
OutOpt = typer.Option(..., "--out", "-o", help="输出目录（日志、截图、报告）", metavar="目录", show_default=False)
PortalOpt = typer.Option(None, "--portal", help="门户地址（默认取 rpa init 的设置或 RPA_PORTAL_URL）", metavar="地址")
ConcurrencyOpt = typer.Option(None, "--concurrency", "-c", help="同时打开的页面数（1–8）", metavar="整数")
HeadedOpt = typer.Option(False, "--headed", help="显示浏览器窗口")
# Where a command option's value came from, for a bad-setting message (rpa/config.py).
OPTION_ORIGIN = {"portal_url": "选项 --portal", "concurrency": "选项 --concurrency", "headless": "选项 --headed"}


def _console():
    from rich.console import Console

    return Console(highlight=False)


def _settings(*, password: bool = True, **overrides):
    """Settings from every source with the command's options on top; the password added
    (environment, credential store, or a prompt) for the commands that sign in."""
    from rpa.config import load_settings
    from rpa.credentials import with_password

    settings = load_settings(origin=OPTION_ORIGIN, **overrides)
    return with_password(settings, _console()) if password else settings


def _run(body: Callable[[], int]) -> None:
    """Run a command body; turn the tool's own errors into a message and exit code 2."""
    from rpa.errors import RpaError

    try:
        code = body()
    except RpaError as exc:
        from rich.markup import escape

        # The message quotes the user's own text (paths, "[settings]"): never markup.
        _console().print(f"[red]错误：{escape(exc.message)}[/red]")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        _console().print("[yellow]已中断。[/yellow]")
        raise typer.Exit(130) from None
    except EOFError:  # a question left unanswered (input closed)
        _console().print("[yellow]没有收到回答，已取消。[/yellow]")
        raise typer.Exit(2) from None
    except Exception:  # noqa: BLE001 - a bug of ours: the secretary gets a sentence, support the trace
        where = _save_traceback()
        _console().print(
            "[red]错误：程序内部出错，本次操作没有完成（输出目录中的运行日志仍然有效，可以用 rpa retry 继续）。"
            f"请把错误记录 {where} 发给技术支持。[/red]", markup=True,
        )
        raise typer.Exit(2) from None
    raise typer.Exit(code)


def _save_traceback() -> str:
    """Write the current exception's traceback to the user's log folder; its path (escaped)."""
    import datetime as dt
    import traceback

    from platformdirs import user_log_dir
    from rich.markup import escape

    from rpa.files import private_dir, write_private_text
    from rpa.runlog import scrub

    folder = private_dir(Path(user_log_dir("zhtj-rpa", appauthor=False)))
    path = folder / f"error-{dt.datetime.now():%Y%m%d-%H%M%S}.txt"
    write_private_text(path, scrub(traceback.format_exc()) or "")  # (ID numbers masked, as everywhere)
    return escape(str(path))


@command()
def init() -> None:
    """首次使用：设置门户地址、账号和浏览器，密码保存到系统凭据管理器。"""

    def body() -> int:
        from rpa.init import run_init

        return run_init()

    _run(body)


@command()
def template(out: Path = typer.Argument(..., help="要生成的空白名单文件（.xlsx）", metavar="名单.xlsx")) -> None:
    """生成带下拉选项和填写说明的空白批量名单。"""

    def body() -> int:
        from rpa.template import write_template

        write_template(out)
        _console().print(f"已生成空白名单：{out}")
        return 0

    _run(body)


@command()
def validate(
    batch: Path = BatchArg,
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", help="写出 checked.xlsx 和 validation.json 的目录", metavar="目录"
    ),
    online: bool = typer.Option(False, "--online", help="同时在门户中核对每个转入组织路径"),
) -> None:
    """逐行检查名单，指出需要修改的单元格。"""

    def body() -> int:
        from rpa.validate import validate_command

        return validate_command(batch, out, online=online, console=_console())

    _run(body)


def _batch_run(mode: str, batch: Path, out: Path, portal, concurrency, headed, *, yes: bool = True) -> None:
    def body() -> int:
        from rpa.credentials import with_password
        from rpa.runner import run_batch

        settings = _settings(password=False, portal_url=portal, concurrency=concurrency,
                             headless=False if headed else None)
        if mode == "submit" and not yes:
            if not sys.stdin.isatty():
                _console().print("[red]错误：正式提交前需要确认。在脚本中运行时请加 --yes；没有提交任何申请。[/red]")
                return 2
            from rpa.batch import load_batch
            from rpa.runner.plan import submit_plan

            plan = submit_plan(load_batch(batch), Path(batch), Path(out))
            if plan.rows and not _confirm_submit(plan, settings):
                return 2
        settings = with_password(settings, _console())  # (asked only once the secretary said yes)
        return run_batch(mode, batch, out, settings, console=_console())

    _run(body)


def _confirm_submit(plan, settings) -> bool:
    """Ask before a real submission (SPEC §5), saying what it will do."""
    from rich.markup import escape

    console = _console()
    lines = [
        f"即将在门户 {escape(settings.portal_url)}（账号 {escape(settings.username or '未设置')}）正式提交名单 "
        f"{escape(plan.batch_name)} 中的 {plan.rows} 行" + (f"（另有 {plan.done_before} 行此前已完成）"
                                                                       if plan.done_before else "")
        + f"，结果写入 {escape(str(plan.out))}。",
    ]
    if plan.irrevocable:
        lines.append(f"[yellow]其中 {plan.irrevocable} 行转往北京/广东/福建：这类申请提交后无法撤销，请确认名单无误。[/yellow]")
    lines.append("其余申请在转入组织审批之前可以在门户中撤销。")
    if plan.previewed_in is None:
        lines.append("[yellow]注意：没有在输出目录旁找到这份名单的试运行结果。建议先运行 rpa preview，"
                     "在 report.html 中核对每一行的截图后再正式提交。[/yellow]")
    else:
        lines.append(f"试运行结果：{escape(str(plan.previewed_in))}（请确认已核对过截图）。")
    for line in lines:
        console.print(line)
    answer = input("确认提交请输入 y，其他任意键取消：").strip().lower()
    if answer in ("y", "yes", "是"):
        return True
    console.print("已取消，没有提交任何申请。")
    return False


@command()
def preview(
    batch: Path = BatchArg, out: Path = OutOpt, portal: Optional[str] = PortalOpt,
    concurrency: Optional[int] = ConcurrencyOpt, headed: bool = HeadedOpt,
) -> None:
    """试运行：逐行填写表单并截图，不提交。"""
    _batch_run("preview", batch, out, portal, concurrency, headed)


@command()
def submit(
    batch: Path = BatchArg, out: Path = OutOpt, portal: Optional[str] = PortalOpt,
    concurrency: Optional[int] = ConcurrencyOpt, headed: bool = HeadedOpt,
    yes: bool = typer.Option(False, "--yes", "-y", help="不再询问，直接提交（用于脚本）"),
) -> None:
    """正式提交（先请您确认）；输出目录已存在时从中断处继续。"""
    _batch_run("submit", batch, out, portal, concurrency, headed, yes=yes)


@command()
def retry(
    out: Path = typer.Argument(..., help="上次运行的输出目录", metavar="目录"), portal: Optional[str] = PortalOpt,
    concurrency: Optional[int] = ConcurrencyOpt, headed: bool = HeadedOpt,
) -> None:
    """重新办理上次未成功的行（已提交的行不会重复提交）。"""

    def body() -> int:
        from rpa.runner import retry_run

        settings = _settings(portal_url=portal, concurrency=concurrency, headless=False if headed else None)
        return retry_run(out, settings, console=_console())

    _run(body)


@command()
def status(out: Path = typer.Argument(..., help="运行的输出目录", metavar="目录")) -> None:
    """显示各状态的行数和需要人工处理的行。"""

    def body() -> int:
        from rpa.status import show_status

        return show_status(out, console=_console())

    _run(body)


@command()
def login(portal: Optional[str] = PortalOpt) -> None:
    """打开浏览器窗口，由您输入验证码登录，并保存登录状态供之后使用。"""

    def body() -> int:
        from rpa.portal.login import interactive_login

        return interactive_login(_settings(portal_url=portal), console=_console())

    _run(body)


@command()
def check(
    portal: Optional[str] = PortalOpt,
    out: Path = typer.Option(Path("rpa-check"), "--out", "-o", help="写出 check.html、check.json 的目录（默认 rpa-check）",
                             metavar="目录"),
    capture: bool = typer.Option(False, "--capture", help="另写出给维护者的页面结构包 capture.zip（不含个人信息）"),
    headed: bool = HeadedOpt,
) -> None:
    """只读检查门户是否与选择器目录一致（不提交、不修改任何内容），并指出要改哪一行。"""

    def body() -> int:
        from rpa.check import run_check
        from rpa.credentials import with_password

        settings = _settings(password=False, portal_url=portal, headless=False if headed else None)
        if settings.username:  # (without an account only a saved session can sign in)
            settings = with_password(settings, _console())
        return run_check(settings, out, capture=capture, console=_console())

    _run(body)


@command()
def demo() -> None:
    """启动本地模拟门户，先试运行再正式提交示例名单，并给出报告位置。"""

    def body() -> int:
        from rpa.demo import run_demo

        return run_demo(console=_console())

    _run(body)


@command()
def run(job: Path = typer.Argument(..., help="任务文件，如 jobs/demo.toml", metavar="任务文件.toml")) -> None:
    """按任务文件（TOML）运行：名单、模式（preview/submit）、输出目录和设置。"""

    def body() -> int:
        from rpa.config import load_job
        from rpa.credentials import with_password
        from rpa.errors import ConfigError
        from rpa.runner import run_batch

        spec, settings = load_job(job)
        mode = spec.get("mode", "preview")
        if mode not in ("preview", "submit") or "batch" not in spec or "out" not in spec:
            raise ConfigError("任务文件的 [job] 需要 batch、out，mode 只能是 preview 或 submit。")
        settings = with_password(settings, _console())
        return run_batch(mode, Path(spec["batch"]), Path(spec["out"]), settings, console=_console())

    _run(body)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
