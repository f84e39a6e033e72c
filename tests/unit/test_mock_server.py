"""The mock's server in-process: what it answers when set up wrong."""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request

import pytest

from fixtures.mock_portal import server as mock_server_module
from fixtures.mock_portal.__main__ import main
from fixtures.mock_portal.captcha import Captchas
from fixtures.mock_portal.db import Database
from fixtures.mock_portal.server import State, load_labels, make_server


@pytest.fixture
def running(tmp_path):
    db = Database(tmp_path / "portal.db")
    db.reset()
    srv = make_server("127.0.0.1", 0, State(db=db, captchas=Captchas("off"), labels=load_labels(None)))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_without_node_modules_the_page_says_to_run_make_setup(running, monkeypatch, tmp_path):
    monkeypatch.setattr(mock_server_module, "VENDOR_CHECK", [tmp_path / "missing" / "vue.min.js"])
    with urllib.request.urlopen(running + "/zhtj/signin") as resp:
        html = resp.read().decode("utf-8")
    assert "make setup" in html and "前端依赖未安装" in html


def test_vendor_files_outside_their_folder_are_not_served(running):
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(running + "/vendor/vue/../../../package.json")
    assert err.value.code == 404


def test_labels_default_to_the_canonical_text_and_can_be_overridden(tmp_path):
    labels = load_labels(None)
    assert labels["转出原因"] == "转出原因" and labels["申请迁移成功"] == "申请迁移成功"
    override = tmp_path / "labels.json"
    override.write_text('{"转出原因": "转出类型"}', encoding="utf-8")
    assert load_labels(override)["转出原因"] == "转出类型"


def test_a_bad_labels_file_is_a_plain_message_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "labels.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    assert main(["--db", str(tmp_path / "p.db"), "--labels", str(bad), "--port", "0"]) == 2
    assert "--labels" in capsys.readouterr().err


def test_the_variants_are_the_default_and_one_per_overlay_file():
    assert mock_server_module.variants() == ["default", "columns", "search_table"]
    for name in mock_server_module.variants()[1:]:
        header = (mock_server_module.VARIANTS_DIR / f"{name}.toml").read_text(encoding="utf-8")
        assert header.startswith(f"# Catalog overlay for the mock's structural variant `{name}`")


def test_an_unknown_variant_is_refused_with_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--db", str(tmp_path / "p.db"), "--variant", "nope", "--port", "0"])
    assert exit_.value.code == 2 and "--variant" in capsys.readouterr().err


def test_every_label_the_pages_use_is_in_labels_json():
    labels = load_labels(None)
    used = set()
    for script in (mock_server_module.STATIC).glob("*.js"):
        text = script.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bL\(\\?['"]([^'"\\]+)\\?['"]\)""", text))
        used |= set(re.findall(r"""\bitem\('([^']+)'""", text))
    assert used and not used - set(labels), sorted(used - set(labels))
