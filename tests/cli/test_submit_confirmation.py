"""`rpa submit` asks before it submits (SPEC §5): in a terminal it waits for "y"; without a
terminal only `--yes` lets it go on; either way, a refusal submits nothing and exits 2."""

from __future__ import annotations

import os
import pty
import select
import subprocess

from cli_helpers import RPA, assert_plain_chinese, clean_env, rpa
from rpa.demo import plan_rows, write_batch
from rpa.idnumber import id_check_digit


def test_submit_without_a_terminal_and_without_yes_submits_nothing(tmp_path):
    result = rpa("submit", "名单.xlsx", "--out", "out", cwd=tmp_path, env=clean_env(tmp_path))

    assert result.returncode == 2
    assert "请加 --yes" in assert_plain_chinese(result)
    assert not (tmp_path / "out").exists()


def test_submit_with_yes_goes_on_without_asking(tmp_path):
    result = rpa("submit", "名单.xlsx", "--out", "out", "--yes", cwd=tmp_path, env=clean_env(tmp_path))

    seen = assert_plain_chinese(result)
    assert "确认" not in seen and "找不到名单文件" in seen


ARMY = {"毕业去向": "参军入伍", "转入组织是否属于北京/广东/福建": "否"}
GUANGDONG = {"毕业去向": "升学", "转入组织是否属于北京/广东/福建": "是", "转入省份": "广东", "转入组织": "中山大学团委",
             "转入单位名称": "中山大学", "转入单位地址": "广东省广州市海珠区新港西路135号"}
MEMBERS = [{"name": f"团员{i}", "id_number": f"37010220000101{i:03d}" + id_check_digit(f"37010220000101{i:03d}"),
            "phone": "13912345678", "branch": "某班团支部"} for i in range(3)]


def test_submit_in_a_terminal_says_what_it_will_do_and_a_no_submits_nothing(tmp_path):
    write_batch(tmp_path / "名单.xlsx", plan_rows(MEMBERS, [ARMY, GUANGDONG, ARMY]))
    env = clean_env(tmp_path, RPA_PORTAL_URL="https://zhtj.youth.cn/zhtj/", RPA_USERNAME="admin")
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(RPA), "submit", "名单.xlsx", "--out", "out"], cwd=tmp_path, env=env,
                            stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    seen = b""
    while "确认提交请输入 y".encode() not in seen:
        ready, _, _ = select.select([master], [], [], 30)
        assert ready, f"no question after 30 s: {seen.decode('utf-8', 'replace')}"
        seen += os.read(master, 4096)
    os.write(master, b"n\n")
    proc.wait(timeout=30)
    try:
        while chunk := os.read(master, 4096):
            seen += chunk
    except OSError:  # the terminal closed with the process
        pass
    os.close(master)

    text = seen.decode("utf-8")
    assert proc.returncode == 2
    assert "https://zhtj.youth.cn/zhtj/" in text and "admin" in text and "名单.xlsx" in text
    assert "3 行" in text and "其中 1 行转往北京/广东/福建" in text and "无法撤销" in text
    assert "没有在输出目录旁找到这份名单的试运行结果" in text
    assert "已取消，没有提交任何申请" in text
    assert not (tmp_path / "out").exists()
