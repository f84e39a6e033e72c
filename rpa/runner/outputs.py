"""What a run leaves besides run.jsonl: results.xlsx, report.html, register.xlsx, traces.

The outputs are rewritten every `OUTPUT_EVERY` finished rows, so a killed run still leaves a
consistent results.xlsx and report.html (run.jsonl, fsynced per record, stays the truth).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpa.errors import OutputLocked
from rpa.runlog import ID_IN_TEXT_RE, RunRecord, mask_id

if TYPE_CHECKING:
    from rpa.runner.job import Job

OUTPUT_EVERY = 20


def write_outputs(job: Job, last: Mapping[int, RunRecord], *, finished: bool) -> None:
    """results.xlsx, report.html and register.xlsx from the batch and the rows' last states.

    `last` is a snapshot: this may run in a thread while the run goes on. A file open in Excel
    is saved beside itself, and `job.locked_outputs` says so (the summary tells the secretary)."""
    from rpa.register import write_register
    from rpa.report import build_views, write_report
    from rpa.results import write_results

    retained = [c for c in job.batch.rows if _status_value(c) == "retained" and c.data is not None]
    writers = {
        "results.xlsx": lambda: write_results(job.batch_path, job.batch, last, job.out / "results.xlsx"),
        "report.html": lambda: write_report(job.out, build_views(job.batch, last), mode=job.mode,
                                            batch_name=job.batch_path.name, finished=finished, note=job.stop_reason),
    }
    if retained:
        writers["register.xlsx"] = lambda: write_register(retained, job.out / "register.xlsx",
                                                          job.settings.graduation_date)
    for name, write in writers.items():
        try:
            write()
            job.locked_outputs.pop(name, None)
        except OutputLocked as exc:
            # The run goes on (run.jsonl is the truth); the next write tries the file again.
            job.locked_outputs[name] = exc.message


def _status_value(checked: Any) -> str:
    return getattr(checked.status, "value", checked.status)


def scrub_trace(path: Path, secrets: tuple[str, ...] = ()) -> None:
    """Rewrite a trace zip with every ID number masked and the password blanked.

    The trace records the pages' network answers, and the portal's member list carries full ID
    numbers; SPEC §5 allows them only in results.xlsx and register.xlsx.
    """
    tmp = path.with_suffix(".zip.part")
    id_re = re.compile(ID_IN_TEXT_RE.pattern.encode())
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if not _is_image(data):
                data = id_re.sub(lambda m: mask_id(m.group(0).decode()).encode(), data)
                for secret in secrets:
                    if secret and len(secret) >= 4:
                        data = data.replace(secret.encode(), b"******")
            dst.writestr(info, data)
    tmp.chmod(0o600)
    tmp.replace(path)


def _is_image(data: bytes) -> bool:
    return data[:4] == b"\x89PNG" or data[:3] == b"\xff\xd8\xff"
