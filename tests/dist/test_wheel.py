"""`make dist` builds a wheel that runs on a machine with only Python: installed into a fresh
venv outside the checkout (dependencies from the package index), `rpa --help`, `rpa template`
and `rpa demo` work from a folder of their own, with no checkout, make or Node in sight.
Slow (about a minute: build, venv, install, the demo)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MOCK_FRONT_END = {
    "vue/dist/vue.min.js",
    "vue-router/dist/vue-router.min.js",
    "element-ui/lib/index.js",
    "element-ui/lib/theme-chalk/index.css",
    "element-ui/lib/theme-chalk/fonts/element-icons.woff",
    "element-ui/lib/theme-chalk/fonts/element-icons.ttf",
}


def run(*cmd, **kw) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, encoding="utf-8", **kw)
    assert result.returncode == 0, f"{cmd}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    run("make", "-s", "-C", ROOT, "dist", f"DIST={dist}", timeout=300)
    (found,) = dist.glob("zhtj_rpa-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict[str, str]:
    """A fresh venv with the wheel installed; the environment a user's shell would have."""
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", venv, timeout=120)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    run(bin_dir / "python", "-m", "pip", "install", "-q", wheel, cwd=venv, timeout=600)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("RPA_")}
    env.update(PATH=os.pathsep.join([str(bin_dir), env.get("PATH", "")]), COLUMNS="200",
               XDG_CONFIG_HOME=str(tmp_path_factory.mktemp("config")))
    return env


def test_the_wheel_holds_the_catalog_the_demo_and_only_the_mocks_built_front_end_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())

    assert {"rpa/_bundled/selectors/portal.toml", "rpa/_bundled/selectors/vocabulary.toml",
            "rpa/_bundled/jobs/demo.toml", "rpa/_bundled/jobs/demo-batch.xlsx",
            "rpa/templates/report.html.j2", "fixtures/mock_portal/static/index.html"} <= names
    vendor = {n.removeprefix("fixtures/mock_portal/node_modules/") for n in names if "/node_modules/" in n}
    assert vendor == MOCK_FRONT_END
    assert not any(n.startswith("selectors/") for n in names)  # never the stdlib's name
    assert wheel.stat().st_size < 2_000_000


def test_the_installed_rpa_runs_from_its_own_folder_without_the_checkout(installed, tmp_path):
    where = run("python", "-c", "import rpa, fixtures.mock_portal.server as s; print(rpa.__file__); print(s.HERE)",
                cwd=tmp_path, env=installed).stdout
    assert str(ROOT) not in where

    helped = run("rpa", "--help", cwd=tmp_path, env=installed)
    assert "用法：rpa [选项] 命令" in helped.stdout and "demo" in helped.stdout

    run("rpa", "template", "名单.xlsx", cwd=tmp_path, env=installed)
    assert (tmp_path / "名单.xlsx").stat().st_size > 0


def test_the_installed_rpa_demo_previews_and_submits_on_the_bundled_mock(installed, tmp_path):
    demo = run("rpa", "demo", cwd=tmp_path, env=installed, timeout=300)

    assert "示例运行符合预期" in demo.stdout
    assert (tmp_path / "demo-output" / "submit" / "report.html").is_file()
