"""Benchmark: one long `rpa submit` (2,000 rows at concurrency 2): does memory stay flat and the
pace steady from the first rows to the last?

    .venv/bin/python bench/bench_long.py [--rows 2000] [--concurrency 2]

The mock's seed has a few hundred members; the rest are added to its branches through
`POST /__mock__/members` (valid, unique ID numbers). While the run goes, the PSS of the whole
process tree is sampled with the time; afterwards each sample is placed by how many rows had
ended by then (run.jsonl's timestamps), which gives
  - the mean PSS while rows 200–400 ran and while the last 200 ran (flat: within 10 %);
  - rows/min over the first 200 rows and over the last 200 (steady: within 10 %).
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import bench_submit  # noqa: E402

WINDOW = 200  # rows per window compared


def more_members(client, wanted: int) -> list[dict]:
    """The seed's members, topped up to `wanted` with new ones spread over the same branches."""
    from rpa.idnumber import id_check_digit

    members = client.members()
    branches = sorted({m["branch"] for m in members})
    extra = []
    for i in range(max(0, wanted - len(members))):
        first17 = f"371402{2003 - i % 3:04d}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        extra.append({"name": f"测试{i:04d}号", "id_number": first17 + id_check_digit(first17),
                      "phone": f"139{i:08d}", "branch": branches[i % len(branches)]})
    taken = {m["id_number"] for m in members}
    extra = [m for m in extra if m["id_number"] not in taken]
    if extra:
        client.add_members(extra)
    return client.members()


def windows(records: list[dict], samples: list[tuple[float, float]], rows: int) -> dict:
    """PSS and pace of the early and late windows, from the run's records and PSS samples."""
    ends = sorted(dt.datetime.fromisoformat(r["ts"]).timestamp() for r in records
                  if r["status"] in ("submitted", "failed", "duplicate", "invalid", "in_doubt"))
    starts = [dt.datetime.fromisoformat(r["ts"]).timestamp() for r in records if r["status"] == "started"]
    if len(ends) < 3 * WINDOW or not starts:
        return {"error": f"only {len(ends)} rows ended"}

    def mean_pss(lo: int, hi: int) -> float | None:
        # A sample belongs to row k when k rows had ended by its time.
        values = [mb for t, mb in samples if lo <= bisect.bisect_right(ends, t) < hi]
        return round(sum(values) / len(values), 1) if values else None

    def pace(t0: float, t1: float) -> float:
        return round(WINDOW / (t1 - t0) * 60, 1) if t1 > t0 else 0.0

    n = len(ends)
    early, late = mean_pss(WINDOW, 2 * WINDOW), mean_pss(n - WINDOW, n)
    first, last = pace(min(starts), ends[WINDOW - 1]), pace(ends[n - WINDOW - 1], ends[n - 1])
    return {
        "rows_ended": n,
        "pss_rows_200_400_mb": early,
        "pss_last_200_mb": late,
        "pss_change": None if not early or not late else round(late / early - 1, 3),
        "rows_per_min_first_200": first,
        "rows_per_min_last_200": last,
        "pace_change": round(last / first - 1, 3) if first else None,
    }


def run(rows: int = 2000, concurrency: int = 2) -> dict:
    from fixtures.mock_portal.client import MockClient, MockPortal

    with tempfile.TemporaryDirectory(prefix="zhtj-long-") as tmp_name, \
            MockPortal.start(db=Path(tmp_name) / "portal.db", captcha="off") as server:
        tmp = Path(tmp_name)
        client = MockClient(server.url)
        client.reset()
        account = client.accounts()[0]
        members = more_members(client, rows)
        batch = bench_submit.build_batch(tmp / "batch.xlsx", members, rows)
        tool = bench_submit.run_tool(server.url, account, batch, tmp / "out", concurrency=concurrency,
                                     session_file=tmp / "session.json", timeout_s=4 * 3600, series=True)
        records = [json.loads(line) for line in (tmp / "out" / "run.jsonl").read_text(encoding="utf-8").splitlines()]
        samples = tool.pop("pss_series")
    return {"rows": rows, "concurrency": concurrency, "tool": tool, **windows(records, samples, rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(run(args.rows, args.concurrency), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
