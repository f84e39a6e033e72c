"""Benchmark: `rpa --help` start-up time, and no Playwright (nor openpyxl) on that path.

    .venv/bin/python bench/bench_startup.py

Time: median wall time of `.venv/bin/rpa --help` as a subprocess (the console script, what the
user types), after one untimed warm-up run so the OS file cache is warm. Imports: the same
command under `python -X importtime`, whose report lists every module imported.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RPA = ROOT / ".venv" / "bin" / "rpa"
PY = ROOT / ".venv" / "bin" / "python"
TARGET_SECONDS = 0.5
HEAVY = ("playwright", "openpyxl", "greenlet")


def run(repeat: int = 5) -> dict:
    import resource

    subprocess.run([str(RPA), "--help"], capture_output=True, check=True)  # warm-up
    times, cpu = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([str(RPA), "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    proc = subprocess.run(
        [str(PY), "-X", "importtime", "-c", "import sys; sys.argv = ['rpa', '--help']; from rpa.cli import main; main()"],
        capture_output=True, text=True,
    )
    modules = [line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
    heavy = sorted({m.split(".")[0] for m in modules if m.split(".")[0] in HEAVY})
    cumulative = {}
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            parts = line.split("|")
            try:
                cumulative[parts[-1].strip()] = int(parts[1].strip())
            except ValueError:
                pass
    top = sorted(((us, m) for m, us in cumulative.items() if not m.startswith(" ")), reverse=True)[:5]
    median = statistics.median(times)
    return {
        "runs": repeat,
        "median_s": round(median, 3),
        "min_s": round(min(times), 3),
        # CPU time of the process: what start-up costs when the machine is busy with other work.
        "median_cpu_s": round(statistics.median(cpu), 3),
        "modules_imported": len(modules),
        "heavy_imported": heavy,
        "playwright_imported": "playwright" in heavy,
        "top_imports_ms": {m: round(us / 1000, 1) for us, m in top},
        "target_s": TARGET_SECONDS,
        "ok": median < TARGET_SECONDS and "playwright" not in heavy,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=2))
    sys.exit(0)
