"""Benchmark: `rpa submit` of a realistic batch against the mock, timed, with peak tree memory.

    .venv/bin/python bench/bench_submit.py [--rows 20] [--concurrency 1] [--latency-ms 0]

The batch is built from members of the mock's seed (德州学院: 252 members over several branches)
with a mix of 毕业去向 and target paths a real batch has: a university (three levels), a 中直
unit, a 中央企业, street-level 流动团员团支部 / 青年之家 / 学社衔接临时团支部 (five levels), a
province outside the national system (flag 是) and 参军入伍 (no target). Every row is submitted.

The tool runs as the user runs it: `.venv/bin/rpa submit BATCH --out DIR` in a subprocess with
`RPA_*` settings in its environment, so the wall time includes start-up, sign-in, the preflight
check of every target path, and writing results.xlsx / report.html; the memory is the peak RSS
of that process and all its children (its Chromiums and the Playwright driver), sampled.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from proctree import PeakSampler, tree_pids  # noqa: E402

RPA = ROOT / ".venv" / "bin" / "rpa"
# One cycle of what a batch holds; rows take these in turn.
PLAN: list[dict[str, str]] = [
    {"毕业去向": "升学", "转入组织是否属于北京/广东/福建": "否",
     "转入组织": "团湖北省委/三峡大学团委/计算机学院团总支", "升学类型": "普通高校", "备注": "录取为三峡大学硕士研究生",
     "转入单位名称": "三峡大学", "转入单位地址": "湖北省宜昌市西陵区大学路8号"},
    {"毕业去向": "就业（有团组织）", "转入组织是否属于北京/广东/福建": "否", "转入组织": "中央和国家机关团工委/教育部团委",
     "转入单位名称": "教育部", "转入单位地址": "北京市西城区西单大木仓胡同37号"},
    {"毕业去向": "就业（无团组织）", "转入组织是否属于北京/广东/福建": "否",
     "转入组织": "团山东省委/团德州市委/团德城区委/团新湖街道工委/新湖街道流动团员团支部",
     "转入单位名称": "德州市新湖文具店", "转入单位地址": "山东省德州市德城区新湖街道湖滨北路12号"},
    {"毕业去向": "参军入伍", "转入组织是否属于北京/广东/福建": "否", "备注": "2025年9月入伍"},
    {"毕业去向": "就业（有团组织）", "转入组织是否属于北京/广东/福建": "否",
     "转入组织": "中央企业团工委/国家电网有限公司团委/国网山东省电力公司团委",
     "转入单位名称": "国网山东省电力公司", "转入单位地址": "山东省济南市市中区经二路150号"},
    {"毕业去向": "未落实", "转入组织是否属于北京/广东/福建": "否",
     "转入组织": "团山东省委/团德州市委/团陵城区委/团安德街道工委/安德街道学社衔接临时团支部"},
    {"毕业去向": "升学", "转入组织是否属于北京/广东/福建": "是", "转入省份": "广东", "转入组织": "中山大学团委",
     "转入单位名称": "中山大学", "转入单位地址": "广东省广州市海珠区新港西路135号"},
    {"毕业去向": "因私出国（境）", "转入组织是否属于北京/广东/福建": "否",
     "转入组织": "团湖北省委/团宜昌市委/团西陵区委/团西陵街道工委/西陵街道青年之家"},
]


def _pss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _kind(pid: int) -> str:
    """What a process of the tree is: python, the Playwright driver (node), a Chromium process."""
    try:
        # Chromium rewrites its command line (one string with spaces), hence the split on both.
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
    except OSError:
        return "?"
    exe = Path(cmd[0]).name if cmd else "?"
    if "chrom" in exe:
        kind = next((a[len("--type="):] for a in cmd if a.startswith("--type=")), "browser")
        return f"chromium {kind}"
    if exe == "node":
        return "playwright driver (node)"
    return exe


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


class PssPeak(PeakSampler):
    """PeakSampler over the tree's PSS instead of the sum of RSS; `.at_peak`: MB by kind of process.

    PSS (proportional set size) counts pages shared between processes (Chromium's code) once
    over the tree, not once per process as a sum of RSS does. Also adds up the CPU time of
    every process of the tree (`.cpu_by_kind`, seconds), as last seen by a sample: where a
    2-core machine's time goes when the rows are CPU-bound. One walk of the tree per sample."""

    at_peak: dict[str, float] = {}
    # The most Playwright drivers and browser instances (profile folders) seen at once.
    drivers = 0
    browsers = 0
    # (time, MB) of every sample, kept when asked (`keep_series`): the long run's memory over time.
    keep_series = False

    def _run(self) -> None:
        self._cpu: dict[int, tuple[str, float]] = {}
        self.series: list[tuple[float, float]] = []
        while not self._stop.is_set():
            parts: dict[str, int] = {}
            total = 0
            pids = tree_pids(self.root)
            self._count(pids)
            for pid in pids:
                # Looked at every time: a process first seen as Debian's `chromium` shell wrapper,
                # or as a zygote about to become a renderer, is something else a moment later.
                kind = _kind(pid)
                pss = _pss_bytes(pid)
                total += pss
                parts[kind] = parts.get(kind, 0) + pss
                if kind == "?" and pid in self._cpu:  # gone: keep what it was
                    kind = self._cpu[pid][0]
                self._cpu[pid] = (kind, max(_cpu_seconds(pid), self._cpu.get(pid, ("", 0.0))[1]))
            if self.keep_series:
                self.series.append((time.time(), round(total / 2**20, 1)))
            if total > self.peak:
                self.peak = total
                self.at_peak = {k: round(v / 2**20, 1) for k, v in sorted(parts.items(), key=lambda kv: -kv[1])}
            time.sleep(self.interval)

    def _count(self, pids: list[int]) -> None:
        drivers, profiles = 0, set()
        for pid in pids:
            try:
                args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            drivers += b"run-driver" in args
            profiles.update(a for a in args if a.startswith(b"--user-data-dir="))
        self.drivers, self.browsers = max(self.drivers, drivers), max(self.browsers, len(profiles))

    @property
    def cpu_by_kind(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for kind, seconds in getattr(self, "_cpu", {}).values():
            totals[kind] = totals.get(kind, 0.0) + seconds
        return dict(sorted(totals.items(), key=lambda kv: -kv[1]))

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def build_batch(path: Path, members: list[dict], rows: int) -> Path:
    """`rows` rows, one seeded member each, the plan's kinds in turn."""
    from rpa.demo import pick_members, plan_rows, write_batch

    picked = pick_members(members, rows)
    plan = [PLAN[i % len(PLAN)] for i in range(rows)]
    return write_batch(path, plan_rows(picked, plan))


def _ts(value: str) -> float:
    return dt.datetime.fromisoformat(value).timestamp()


def run_tool(url: str, account: dict, batch: Path, out: Path, *, concurrency: int,
             session_file: Path, timeout_s: float = 3600, series: bool = False) -> dict:
    """`rpa submit BATCH --out OUT` in a subprocess; wall time, exit code, peak tree RSS, row log."""
    env = dict(
        os.environ,
        RPA_PORTAL_URL=url,
        RPA_USERNAME=account["username"],
        RPA_PASSWORD=account["password"],
        RPA_CONCURRENCY=str(concurrency),
        RPA_MIN_INTERVAL_S="0",
        RPA_SESSION_FILE=str(session_file),
        RPA_HEADLESS="true",
        COLUMNS="120",
    )
    cmd = [str(RPA), "submit", "--yes", str(batch), "--out", str(out)]
    t0, epoch0 = time.perf_counter(), time.time()
    proc = subprocess.Popen(cmd, cwd=tempfile.gettempdir(), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, encoding="utf-8")
    pss = PssPeak(proc.pid, interval=1.0 if series else 0.25)
    pss.keep_series = series
    with PeakSampler(proc.pid, interval=0.1) as sampler, pss:
        try:
            output, _ = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    wall = time.perf_counter() - t0
    records = [json.loads(line) for line in (out / "run.jsonl").read_text(encoding="utf-8").splitlines()
               ] if (out / "run.jsonl").exists() else []
    final = {r["row"]: r["status"] for r in records}
    started = [_ts(r["ts"]) for r in records if r["status"] == "started"]
    ended = [_ts(r["ts"]) for r in records if r["status"] in ("submitted", "failed", "duplicate", "in_doubt")]
    submitted = sum(1 for s in final.values() if s == "submitted")
    # Time from the first row started to the last row done: the browsers' steady state, without
    # the start-up, sign-in and preflight before it or the outputs written after it.
    rows_window = (max(ended) - min(started)) if started and ended else None
    return {
        "exit_code": proc.returncode,
        "wall_s": round(wall, 2),
        "rows": len(final),
        "submitted": submitted,
        "not_ok": {s: n for s in set(final.values()) - {"submitted"}
                   for n in [sum(1 for v in final.values() if v == s)]},
        "rows_window_s": None if rows_window is None else round(rows_window, 2),
        "before_first_row_s": round(min(started) - epoch0, 2) if started else None,
        "peak_rss_mb": round(sampler.peak / 2**20, 1),
        "peak_pss_mb": round(pss.peak / 2**20, 1),
        "peak_pss_by_process_mb": pss.at_peak,
        "drivers": pss.drivers,
        "browsers": pss.browsers,
        # CPU seconds of the whole tree per submitted row, and by kind of process.
        "cpu_s_per_row": round(sum(pss.cpu_by_kind.values()) / submitted, 2) if submitted else None,
        "cpu_s_by_process": {k: round(v, 1) for k, v in pss.cpu_by_kind.items()},
        "rows_per_min": round(submitted / wall * 60, 1) if wall else 0.0,
        "output_tail": "" if proc.returncode == 0 and submitted == len(final) else output[-2000:],
        **({"pss_series": pss.series} if series else {}),
    }


def main() -> None:
    from fixtures.mock_portal.client import MockClient, MockPortal

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--profile", type=Path, default=None,
                        help="profile in-process with pyinstrument; write the text report here")
    args = parser.parse_args()
    if args.profile is not None:
        text = profile(args.rows, args.concurrency, args.latency_ms, html=args.profile.with_suffix(".html"))
        args.profile.write_text(text, encoding="utf-8")
        print(text.splitlines()[0])
        return
    with tempfile.TemporaryDirectory(prefix="zhtj-bench-") as tmp, \
            MockPortal.start(db=Path(tmp) / "portal.db", captcha="off") as server:
        client = MockClient(server.url)
        client.reset()
        account = client.accounts()[0]
        batch = build_batch(Path(tmp) / "batch.xlsx", client.members(), args.rows)
        client.faults(latency_ms=args.latency_ms, jitter_ms=0)
        r = run_tool(server.url, account, batch, Path(tmp) / "out", concurrency=args.concurrency,
                     session_file=Path(tmp) / "session.json")
        print(json.dumps(r, ensure_ascii=False, indent=2))



def profile(rows: int = 20, concurrency: int = 1, latency_ms: int = 0, html: Path | None = None) -> str:
    """Run `run_batch("submit")` in-process under pyinstrument and say where the time goes.

    The run is one event loop: pyinstrument's async mode charges the time a task waits (on the
    portal, on the browser) to the `await` in rpa/ that waited, so the report shows both the
    Python CPU time and the waits by the line that made them."""
    from pyinstrument import Profiler
    from rich.console import Console

    from fixtures.mock_portal.client import MockClient, MockPortal
    from rpa.config import Settings
    from rpa.runner import run_batch

    with tempfile.TemporaryDirectory(prefix="zhtj-prof-") as tmp, \
            MockPortal.start(db=Path(tmp) / "portal.db", captcha="off") as server:
        client = MockClient(server.url)
        client.reset()
        account = client.accounts()[0]
        batch = build_batch(Path(tmp) / "batch.xlsx", client.members(), rows)
        client.faults(latency_ms=latency_ms, jitter_ms=0)
        settings = Settings(_env_file=None, portal_url=server.url, username=account["username"],
                            password=account["password"], concurrency=concurrency, min_interval_s=0,
                            session_file=Path(tmp) / "session.json")
        prof = Profiler(interval=0.005, async_mode="enabled")
        t = time.perf_counter()
        with prof:
            code = run_batch("submit", batch, Path(tmp) / "out", settings,
                             console=Console(file=open(os.devnull, "w"), width=120))
        wall = time.perf_counter() - t
        log = (Path(tmp) / "out" / "run.jsonl").read_text(encoding="utf-8")
    if html is not None:
        html.write_text(prof.output_html(), encoding="utf-8")
    return "\n".join([
        f"run_batch submit: {rows} rows, concurrency {concurrency}, latency {latency_ms} ms: "
        f"exit {code}, {wall:.1f} s ({wall / rows:.2f} s/row)", "",
        prof.output_text(unicode=True, color=False, show_all=False), "--- run.jsonl ---", log,
    ])


if __name__ == "__main__":
    main()
