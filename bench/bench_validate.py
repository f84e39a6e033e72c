"""Benchmark: `rpa validate` on a 10,000-row batch (mixed valid / invalid / retained / skipped).

    .venv/bin/python bench/bench_validate.py [--rows N]

Prints a small table; `run()` returns the figures as a dict (the bench runner imports this file
by path). Targets (issue 3): under 2 s and under 200 MB peak memory. Time is measured in-process
(best of 3, wall and CPU time); memory is the peak RSS of a fresh subprocess that does one validation, so it is the
real process peak (interpreter and libraries included), not just Python allocations.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ROWS = 10_000
TARGET_SECONDS = 2.0
TARGET_MB = 200.0

_MEASURE = """
import io, resource, sys, time
sys.path.insert(0, {root!r})
from rich.console import Console
from rpa.validate import validate_command
t = time.perf_counter()
code = validate_command(__import__('pathlib').Path({batch!r}), __import__('pathlib').Path({out!r}),
                        console=Console(file=io.StringIO(), width=120))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter() - t, code)
"""


def build_batch(path: Path, rows: int = ROWS) -> Path:
    """A realistic batch: a title row, the §3 headers plus two extra columns, mixed rows."""
    from openpyxl import Workbook

    from rpa.batch import Col
    from rpa.idnumber import id_check_digit

    headers = ["序号", *[c.value for c in Col], "学院"]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("名单")
    ws.append(["德州学院2021届毕业生团组织关系转接名单"])
    ws.append(headers)
    kinds = [
        ("就业（有团组织）", "否", None, "团山东省委/团德州市委/德州某公司团委"),
        ("升学", "否", None, "团湖北省委/三峡大学团委"),
        ("就业（无团组织）", "否", None, "团山东省委/团德州市委/团德城区委/新湖街道团工委/新湖街道流动团员团支部"),
        ("未落实", "否", None, "团河北省委/团衡水市委/河沿镇团委/河沿镇学社衔接临时团支部"),
        ("参军入伍", "否", None, None),
        ("就业（有团组织）", "是", "广东", "共青团广州某科技有限公司委员会"),
        ("出国（境）留学", None, None, None),
        ("未落实（保留在校）", None, None, None),
    ]
    for n in range(rows):
        first17 = f"371402{1995 + n % 8}0{1 + n % 9}{10 + n % 18}{n % 1000:03d}"
        id_number = first17 + id_check_digit(first17)
        dest, flag, province, target = kinds[n % len(kinds)]
        phone = f"138{n:08d}"
        if n % 10 == 3:
            id_number = id_number[:17] + ("0" if id_number[17] != "0" else "1")  # bad check digit
        if n % 25 == 7:
            phone = phone[:-1]  # 10 digits
        if n % 40 == 11:
            target = "团湖北省委/三峡大学团委" if dest != "升学" else target  # wrong kind of target
        abroad = ("英国伦敦", "2021.09–2022.09", "张父", "13912345678") if dest == "出国（境）留学" else (None,) * 4
        approval = "待审批" if n % 50 == 0 else "已审批"
        unit = (("三峡大学", "湖北省宜昌市西陵区大学路8号") if dest == "升学" else
                ("德州某公司", "山东省德州市德城区新湖大街1号") if dest.startswith("就业") else (None, None))
        values = {
            "序号": n + 1, "姓名": f"学生{n}", "身份证号": id_number, "手机号": phone,
            "常用联系人联系方式": "13912345678", "转出团支部": "德州学院计算机与信息学院2021级1班团支部",
            "毕业去向": dest, "转入组织是否属于北京/广东/福建": flag, "转入省份": province, "转入组织": target,
            "升学类型": None, "转入单位名称": unit[0], "转入单位地址": unit[1], "境外学习地点": abroad[0], "境外学习期限": abroad[1], "境内联系人": abroad[2],
            "境内联系人电话": abroad[3], "备注": "=SUM(1)" if n % 500 == 1 else None, "审核状态": approval,
            "学院": "计算机与信息学院",
        }
        ws.append([values[h] for h in headers])
    wb.save(path)
    return path


def run(rows: int = ROWS, repeat: int = 3) -> dict:
    """Build the batch, time `validate_command` in-process, measure peak RSS in a subprocess."""
    from rich.console import Console

    from rpa.validate import validate_command

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        batch = build_batch(tmp_path / "batch.xlsx", rows)
        times, cpu = [], []
        code = None
        for i in range(repeat):
            out = tmp_path / f"out{i}"
            t, c = time.perf_counter(), time.process_time()
            code = validate_command(batch, out, console=Console(file=io.StringIO(), width=120))
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        records = json.loads((tmp_path / "out0" / "validation.json").read_text(encoding="utf-8"))
        statuses = {s: sum(1 for r in records if r["status"] == s) for s in ("valid", "invalid", "skipped", "retained")}
        script = _MEASURE.format(root=str(ROOT), batch=str(batch), out=str(tmp_path / "out-mem"))
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        maxrss_kb, sub_seconds, _ = proc.stdout.split()
    result = {
        "rows": rows,
        "seconds": round(min(times), 3),
        "cpu_seconds": round(min(cpu), 3),  # less sensitive to a busy machine than wall time
        "seconds_subprocess": round(float(sub_seconds), 3),
        "peak_mb": round(int(maxrss_kb) / 1024, 1),
        "exit_code": code,
        **statuses,
        "target_seconds": TARGET_SECONDS,
        "target_mb": TARGET_MB,
    }
    result["ok"] = result["seconds"] < TARGET_SECONDS and result["peak_mb"] < TARGET_MB
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    args = parser.parse_args()
    r = run(args.rows)
    print(f"rpa validate --out, {r['rows']} rows "
          f"(valid {r['valid']}, invalid {r['invalid']}, retained {r['retained']}, skipped {r['skipped']})")
    print(f"{'measure':<28}{'value':>10}{'target':>10}")
    print(f"{'time, in-process (best of 3)':<28}{r['seconds']:>9.3f}s{'< ' + str(TARGET_SECONDS) + 's':>10}")
    print(f"{'CPU time, in-process':<28}{r['cpu_seconds']:>9.3f}s{'':>10}")
    print(f"{'time, fresh process':<28}{r['seconds_subprocess']:>9.3f}s{'':>10}")
    print(f"{'peak RSS, fresh process':<28}{r['peak_mb']:>8.1f}MB{'< ' + str(int(TARGET_MB)) + 'MB':>10}")
    print("OK" if r["ok"] else "OVER TARGET")


if __name__ == "__main__":
    main()
