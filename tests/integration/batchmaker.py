"""Shared helpers of the reliability, hostile-input and privacy tests (no tests in this file).

Batches come from `rpa.demo` (`pick_members`, `plan_rows`, `write_batch`: members that exist in the
mock's seed); this module adds what those tests share on top: the `rpa` command as a real process
with the secretary's environment, a tolerant reader of run.jsonl, and what the portal stored.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from rpa.idnumber import id_check_digit

RPA = Path(sys.executable).with_name("rpa")

# One plan entry per kind of row (the member's own columns come from the seed).
ARMY = {"毕业去向": "参军入伍", "转入组织是否属于北京/广东/福建": "否", "备注": "2025年9月入伍"}
SECRET = {"毕业去向": "涉密单位", "转入组织是否属于北京/广东/福建": "否"}
SANXIA = {"毕业去向": "升学", "转入组织是否属于北京/广东/福建": "否", "转入组织": "团湖北省委/三峡大学团委",
          "升学类型": "普通高校", "转入单位名称": "三峡大学", "转入单位地址": "湖北省宜昌市西陵区大学路8号"}
MINISTRY = {"毕业去向": "就业（有团组织）", "转入组织是否属于北京/广东/福建": "否",
            "转入组织": "中央和国家机关团工委/教育部团委", "转入单位名称": "中华人民共和国教育部",
            "转入单位地址": "北京市西城区西单大木仓胡同37号"}
STREET = {"毕业去向": "就业（无团组织）", "转入组织是否属于北京/广东/福建": "否",
          "转入组织": "团山东省委/团德州市委/团德城区委/团新湖街道工委/新湖街道流动团员团支部",
          "转入单位名称": "德州新湖商贸有限公司", "转入单位地址": "山东省德州市德城区新湖大街12号"}
GUANGDONG = {"毕业去向": "升学", "转入组织是否属于北京/广东/福建": "是", "转入省份": "广东", "转入组织": "中山大学团委",
             "转入单位名称": "中山大学", "转入单位地址": "广东省广州市海珠区新港西路135号"}
ABROAD = {"毕业去向": "出国（境）留学", "境外学习地点": "英国 爱丁堡大学", "境外学习期限": "2025.09–2026.12",
          "境内联系人": "王建国", "境内联系人电话": "13905341234"}


def make_id(area: str = "370112", birth: str = "20030713", seq: str = "001") -> str:
    """A valid 18-character ID number (GB 11643 check digit) that the seed does not hold."""
    first17 = area + birth + seq
    return first17 + id_check_digit(first17)


def masked(id_number: str) -> str:
    return id_number[:4] + "*" * 10 + id_number[-4:]


# ─── the command ────────────────────────────────────────────────────────────────────────────


def portal_env(mock_url: str, account: dict, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment a secretary's shell would have: the portal, the account, no pauses."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")}
    env.update(
        RPA_PORTAL_URL=mock_url,
        RPA_USERNAME=account["username"],
        RPA_PASSWORD=account["password"],
        RPA_MIN_INTERVAL_S="0",
        RPA_TIMEOUT_MS="10000",
        RPA_SESSION_FILE=str(tmp_path / "session.json"),
        COLUMNS="400",  # rich wraps at the terminal width: keep each message on one line
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def rpa(*args: str, env: dict[str, str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run `rpa ARGS` to its end."""
    return subprocess.run([str(RPA), *map(str, args)], env=env, cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout)


def spawn_rpa(*args: str, env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    """Start `rpa ARGS` in a process group of its own (so a kill reaches its Chromium too)."""
    out = open(log, "ab")  # noqa: SIM115 - closed by the child's exit; the parent keeps no handle
    try:
        return subprocess.Popen([str(RPA), *map(str, args)], env=env, cwd=cwd, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        out.close()


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (from /proc), e.g. the Playwright driver and Chromium."""
    parents: dict[int, int] = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat_file.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def cmdline(pid: int) -> bytes:
    """The command line of a process (NUL-separated), or b"" when it has gone meanwhile."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def alive(pids: set[int]) -> set[int]:
    """The ones of `pids` still running (zombies count as gone)."""
    left = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            left.add(pid)
    return left


def kill_group(proc: subprocess.Popen) -> set[int]:
    """kill -9 the process and its process group; returns the processes it had started
    (the Playwright driver, Chromium) as they were just before the kill."""
    below = descendants(proc.pid)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)
    return below


def wait_gone(pids: set[int], deadline_s: float = 30) -> set[int]:
    """Poll until none of `pids` runs; returns those still running at the deadline."""
    deadline = time.monotonic() + deadline_s
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


def submit_until_done(batch: Path, out: str, *, env: dict[str, str], cwd: Path, retries: int = 3,
                      timeout: int = 300) -> list[str]:
    """`rpa submit`, then `rpa retry DIR` while some row isn't final-ok (at most `retries` times).

    Returns every console output, for assertion messages."""
    runs = [rpa("submit", "--yes", batch, "--out", out, env=env, cwd=cwd, timeout=timeout)]
    while runs[-1].returncode != 0 and len(runs) <= retries:
        # 1 = some rows not ok yet; 2 would mean the run gave up on the portal as a whole.
        assert runs[-1].returncode in (0, 1), console_of(runs[-1])
        runs.append(rpa("retry", out, env=env, cwd=cwd, timeout=timeout))
    return [console_of(r) for r in runs]


def console_of(proc: subprocess.CompletedProcess) -> str:
    return f"[exit {proc.returncode}]\n{proc.stdout}\n{proc.stderr}"


# ─── the run log ────────────────────────────────────────────────────────────────────────────


def records(out: Path) -> list[dict]:
    """run.jsonl's records; a torn last line (a crash mid-write) is tolerated, nothing else."""
    path = out / "run.jsonl"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    result = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            result.append(json.loads(line))
        except json.JSONDecodeError:
            # Only the very last line may be torn.
            assert i == len(lines) - 1, f"run.jsonl line {i + 1} is not JSON: {line!r}"
    return result


def last_status(out: Path) -> dict[int, str]:
    return {r["row"]: r["status"] for r in records(out)}


def why(out: Path) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records(out))


def wait_for_records(out: Path, status: str, n: int, proc: subprocess.Popen, deadline_s: float = 240) -> bool:
    """Poll run.jsonl until it holds `n` records of `status`; False if the process ended first."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if sum(1 for r in records(out) if r["status"] == status) >= n:
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)  # polling a file the child writes, not waiting for a page
    raise AssertionError(f"no {n} {status!r} records in {deadline_s} s:\n{why(out)}")


# ─── the portal ─────────────────────────────────────────────────────────────────────────────


def applications_per_member(portal) -> Counter:
    """How many applications the portal holds for each ID number (revoked ones included)."""
    return Counter(app["id_number"] for app in portal.applications())
