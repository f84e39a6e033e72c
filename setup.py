"""Build hook: the wheel carries everything `rpa` reads at run time, so it runs without a checkout.

Metadata lives in pyproject.toml; this file only adds a step to `build_py`. It copies into the
wheel the data that sits outside the Python packages in a checkout (see rpa/resources.py):

- `selectors/*.toml` and the demo job into `rpa/_bundled/` (never a package named `selectors`:
  that would shadow the standard library module asyncio and Playwright import);
- the few built front-end files the mock serves, from `fixtures/mock_portal/node_modules/`
  (installed by `npm ci`, never committed), to the same place in the wheel.

An editable install (`make setup`) reads the checkout itself and skips the copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED_DIR = "rpa/_bundled"  # rpa.resources.BUNDLED_DIR
MOCK_VENDOR = "fixtures/mock_portal/node_modules"
# (source glob in the checkout, destination folder in the wheel)
BUNDLED = [
    ("selectors/*.toml", f"{BUNDLED_DIR}/selectors"),
    ("jobs/demo.toml", f"{BUNDLED_DIR}/jobs"),
    ("jobs/demo-batch.xlsx", f"{BUNDLED_DIR}/jobs"),
]
# What fixtures/mock_portal/static/index.html loads under /vendor/, and the fonts the CSS names.
MOCK_FRONT_END = [
    "vue/dist/vue.min.js",
    "vue-router/dist/vue-router.min.js",
    "element-ui/lib/index.js",
    "element-ui/lib/theme-chalk/index.css",
    "element-ui/lib/theme-chalk/fonts/element-icons.woff",
    "element-ui/lib/theme-chalk/fonts/element-icons.ttf",
]


def bundled_files() -> list[tuple[Path, str]]:
    """Every (file in the checkout, its path inside the wheel); an error if one is missing."""
    pairs = []
    for pattern, dest in BUNDLED:
        found = sorted(ROOT.glob(pattern))
        if not found:
            raise SystemExit(f"build: nothing matches {pattern!r}")
        pairs += [(src, f"{dest}/{src.name}") for src in found]
    for rel in MOCK_FRONT_END:
        src = ROOT / MOCK_VENDOR / rel
        if not src.is_file():
            raise SystemExit(f"build: {src} is missing; run `make setup` (npm ci) first")
        pairs.append((src, f"{MOCK_VENDOR}/{rel}"))
    return pairs


class BuildPyWithData(build_py):
    """`build_py`, then the run-time data copied into the build folder."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for src, rel in bundled_files():
            target = Path(self.build_lib) / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)


setup(cmdclass={"build_py": BuildPyWithData})
