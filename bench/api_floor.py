"""The floor: the same submissions POSTed straight to the mock's API, no browser.

    floor = submit_direct(url, account, applications, concurrency=2)

`applications` are what the tool stored (`GET /__mock__/applications`), so the floor submits
exactly the same applications. Per worker thread: one `login` (and one `branches`); per row:
`tuanyuantw/list` of the row's branch (for the userId, as the page loads it when the branch is
chosen), the `getorgtree` walk of its target path one level at a time from the top (as the page's
lazy cascader does for each form), and `transfer/apply` with the unit fields (docs/CONTRACTS.md §1). That is the portal's own share of a row: every round trip
the portal requires, nothing else. The mock must be reset first (the tool's applications are
open, and a second open application for a member is refused).
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# docs/CONTRACTS.md §1: reason codes and study-type codes, by canonical label.
REASON_CODES = {
    "升学": "01", "已落实工作单位（工作单位有团组织）": "02", "已落实工作单位（工作单位无团组织）": "03",
    "出国（境）学习研究": "04", "因私出国（境）": "05", "转往特殊单位团组织": "06", "未落实工作单位": "07", "其他": "08",
}
STUDY_CODES = {"普通高校": "1", "高等职业院校": "2", "中等职业院校": "3", "普通高中": "4"}
OK = 1000


class FloorError(RuntimeError):
    pass


def _results(answer: dict, what: str):
    if answer.get("retCode") != OK:
        raise FloorError(f"{what}: {answer.get('retCode')} {answer.get('retMsg')}")
    return answer.get("results")


def _submit_one(session, branch_ids: dict[str, str], app: dict) -> None:
    listed = _results(session.call("tuanyuantw/list", queryLeagueId=branch_ids[app["from_branch"]], pageNo=1,
                                   pageSize=500), "tuanyuantw/list")
    member_id = next(m["userId"] for m in listed["list"] if m["idCardNo"] == app["id_number"])
    target_id = ""
    if app.get("target_path"):
        pid = ""
        for name in app["target_path"]:
            level = _results(session.call("getorgtree", queryLeagueId=pid), "getorgtree")["leagueList"]
            pid = str(next(n["leagueId"] for n in level if n["leagueName"] == name))
        target_id = pid
    _results(session.call(
        "transfer/apply",
        memberId=member_id, phone=app["phone"], contact=app["contact"],
        reasonCode=REASON_CODES[app["reason"]], studyTypeCode=STUDY_CODES.get(app.get("study_type") or "", ""),
        targetUnitName=app.get("target_unit_name") or "", targetUnitAddress=app.get("target_unit_address") or "",
        provinceFlag="1" if app.get("province_flag") else "0", province=app.get("province") or "",
        targetLeagueId=target_id, targetFullName=app.get("target_full_name") or "", remark=app.get("remark") or "",
    ), "transfer/apply")


def submit_direct(url: str, account: dict, applications: list[dict], *, concurrency: int = 1) -> dict:
    """Submit `applications` over the API with `concurrency` threads; wall time and per-call counts."""
    from fixtures.mock_portal.client import PortalSession

    todo: queue.Queue = queue.Queue()
    for app in sorted(applications, key=lambda a: a["id"]):
        todo.put(app)
    errors: list[str] = []
    done = [0]
    lock = threading.Lock()

    def worker() -> None:
        session = PortalSession(url, timeout_s=30)
        try:
            _results(session.login(account), "login")
            branch_ids = {b["branchName"]: b["branchId"]
                          for b in _results(session.call("branches"), "branches")}
            while True:
                try:
                    app = todo.get_nowait()
                except queue.Empty:
                    return
                _submit_one(session, branch_ids, app)
                with lock:
                    done[0] += 1
        except Exception as exc:  # noqa: BLE001 - reported in the result, the bench goes on
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, min(concurrency, len(applications))))]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t
    n = done[0]
    return {
        "rows": n,
        "wall_s": round(wall, 3),
        "s_per_row": round(wall / n, 4) if n else None,
        "rows_per_min": round(n / wall * 60, 1) if wall and n else 0.0,
        "errors": errors[:5],
    }
