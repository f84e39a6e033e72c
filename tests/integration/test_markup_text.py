"""Text from the batch, the portal or the file system is printed as text, never as console
markup: names like `王[/]` once ended a run mid-batch (rich's MarkupError) and killed
`validate` and `status`; `[bold red]X[` lost its tag text."""

from __future__ import annotations

import pytest

from batchmaker import ARMY, console_of, make_id, portal_env, rpa
from rpa.demo import pick_members, plan_rows, write_batch

HOSTILE = ["王[/]", "[bold red]X[", "[link=file:///etc/passwd]点我[/link]"]


def squeeze(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def batch(tmp_path, portal):
    """A folder and a file name with markup, two real members and three names nobody has
    (they fail in the portal: the message names them), every name markup-like."""
    members = pick_members(portal.members(), 2)
    strangers = [dict(members[0], name=name, id_number=make_id(seq=f"{i:03d}")) for i, name in enumerate(HOSTILE)]
    rows = plan_rows([*members, *strangers], [ARMY] * 5)
    rows[1]["备注"] = "[/]备注[bold]"
    folder = tmp_path / "[red]批次"  # (a file name can't hold the / of a closing tag)
    folder.mkdir()
    return write_batch(folder / "[bold]名单[link=x].xlsx", rows)


def test_markup_like_names_paths_and_remarks_go_through_every_command_as_text(tmp_path, batch, account,
                                                                           mock_server):
    env = portal_env(mock_server.url, account, tmp_path)
    runs = {
        "validate": rpa("validate", batch, "--out", "[i]checked", env=env, cwd=tmp_path),
        "preview": rpa("preview", batch, "--out", "[i]preview", env=env, cwd=tmp_path),
        "submit": rpa("submit", "--yes", batch, "--out", "[bold]submit", env=env, cwd=tmp_path),
        "status": rpa("status", "[bold]submit", env=env, cwd=tmp_path),
        "retry": rpa("retry", "[bold]submit", env=env, cwd=tmp_path),
        "template": rpa("template", "[b]空白[i].xlsx", env=env, cwd=tmp_path),
    }

    for name, run in runs.items():
        shown = run.stdout + run.stderr
        assert "Traceback" not in shown and "MarkupError" not in shown, f"{name}: {console_of(run)}"
    assert [runs[n].returncode for n in runs] == [0, 1, 1, 0, 1, 0], {n: console_of(r) for n, r in runs.items()}
    # The rows after the hostile ones ran: each failed in the portal, with its name shown as written.
    for text in HOSTILE:  # (rich may wrap a long line anywhere: compare without whitespace)
        assert squeeze(text) in squeeze(runs["submit"].stdout), console_of(runs["submit"])
        assert squeeze(text) in squeeze(runs["status"].stdout), console_of(runs["status"])
    assert "[bold]名单[link=x].xlsx" in runs["validate"].stdout and "[bold]名单[link=x].xlsx" in runs["submit"].stdout
    assert (tmp_path / "[bold]submit" / "results.xlsx").exists()
    assert (tmp_path / "[b]空白[i].xlsx").exists()
