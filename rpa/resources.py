"""Where the run-time data is found: in a checkout, or inside an installed wheel.

    data                 checkout (editable install)            wheel (`make dist`)
    selector catalog     selectors/                              rpa/_bundled/selectors/
    demo job and batch   jobs/demo.toml, jobs/demo-batch.xlsx    rpa/_bundled/jobs/
    report template      rpa/templates/                          rpa/templates/ (package data)
    mock's front end     fixtures/mock_portal/node_modules/…     the same path, only the files it serves

`setup.py` copies the first two into the wheel at build time (the list is `BUNDLED` there);
`selectors/` is never a Python package (it would shadow the standard library's `selectors`),
so it travels as plain data inside `rpa/`. A wheel is always unpacked on disk (pip, pipx,
uv), so these are ordinary paths.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The data folders setup.py bundles into the wheel (must match BUNDLED_DIR in setup.py).
BUNDLED_DIR = PACKAGE_DIR / "_bundled"
# The checkout's root; in an installed wheel this is site-packages, where none of our data is.
CHECKOUT_ROOT = PACKAGE_DIR.parent


def data_dir(name: str) -> Path:
    """The folder `name` (`selectors`, `jobs`): bundled in the wheel, else the checkout's."""
    bundled = BUNDLED_DIR / name
    return bundled if bundled.is_dir() else CHECKOUT_ROOT / name


SELECTORS_DIR = data_dir("selectors")
JOBS_DIR = data_dir("jobs")
