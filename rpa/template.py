"""`rpa template OUT.xlsx`: an empty batch a secretary can fill without reading the SPEC.

Sheet 批量转接名单: the SPEC §3 headers; ID and phone columns formatted as text (so Excel keeps
all 18 digits); dropdowns for 毕业去向, the province flag, 转入省份, 升学类型 and 审核状态; one
example row whose 审核状态 makes it skipped, so a forgotten example is never submitted.
Sheet 说明: each column and each 毕业去向 in the terms of the notice.
"""

from __future__ import annotations

from pathlib import Path

from rpa.batch import Col
from rpa.files import atomic_output
from rpa.vocabulary import Destination, Retention, TargetKind, Vocabulary, load_vocabulary

SHEET_NAME = "批量转接名单"
HELP_SHEET_NAME = "说明"
TEMPLATE_ROWS = 2000  # rows that get the dropdowns and the text format
EXAMPLE_APPROVAL = "示例（请删除本行）"
APPROVAL_OPTIONS = ["已审批", "待审批", "不通过"]
TEXT_COLUMNS = (Col.ID_NUMBER, Col.PHONE, Col.CONTACT, Col.DOMESTIC_CONTACT_PHONE)

EXAMPLE_ROW = {
    Col.NAME: "张三",
    Col.ID_NUMBER: "11010519491231002X",
    Col.PHONE: "13812345678",
    Col.CONTACT: "13912345678（父亲）",
    Col.BRANCH: "德州学院计算机与信息学院2021级计算机科学与技术1班团支部",
    Col.DESTINATION: Destination.STUDY.value,
    Col.PROVINCE_FLAG: "否",
    Col.PROVINCE: "",
    Col.TARGET: "团湖北省委/三峡大学团委",
    Col.STUDY_TYPE: "普通高校",
    Col.UNIT_NAME: "三峡大学",
    Col.UNIT_ADDRESS: "湖北省宜昌市西陵区大学路8号",
    Col.REMARK: "录取为三峡大学2021级硕士研究生",
    Col.APPROVAL: EXAMPLE_APPROVAL,
}

COLUMN_HELP: dict[Col, tuple[str, str]] = {
    Col.NAME: ("必填", "团员姓名，与智慧团建中一致。"),
    Col.ID_NUMBER: ("必填", "18 位身份证号，末位 x 写大写 X。本列已设为“文本”格式；若整列被改成数字格式，后几位会丢失。"),
    Col.PHONE: ("必填", "11 位手机号。"),
    Col.CONTACT: ("必填", "常用联系人的联系方式（如家长电话）。"),
    Col.BRANCH: ("必填", "团员现在所在的团支部，填写智慧团建中的全称。"),
    Col.DESTINATION: ("必填", "从下拉列表中选择，各去向的办理方式见下表。"),
    Col.PROVINCE_FLAG: ("转出时必填", "转入组织隶属北京、广东、福建的选“是”；其余选“否”。在京中直单位（中央和国家机关团工委、中央金融团工委、中央企业团工委、全国铁道团委、中国民航团委）不算北京，选“否”。参军入伍、涉密单位选“否”。"),
    Col.PROVINCE: ("选“是”时必填", "北京 / 广东 / 福建。"),
    Col.TARGET: ("见下表", "选“否”时：从全国组织树顶层开始的路径，各级用 / 分隔。按隶属关系而不是所在地填写：三峡大学位于宜昌，但隶属团湖北省委，应填“团湖北省委/三峡大学团委”，而不是“团湖北省委/团宜昌市委/…”。选“是”时：填写转入组织的全称（三省市系统不在全国组织树中）。参军入伍、涉密单位留空。"),
    Col.STUDY_TYPE: ("升学时选填", "普通高校 / 高等职业院校 / 中等职业院校 / 普通高中；留空即普通高校。"),
    Col.UNIT_NAME: ("升学、就业必填", "转入单位的全称：升学填录取学校（如 三峡大学），就业（有团组织）、就业（无团组织）填工作单位（如 国网山东省电力公司）。最多 100 个字。其他去向留空。"),
    Col.UNIT_ADDRESS: ("升学、就业必填", "转入单位所在地的详细地址：省、市、区县、街道和门牌，如 湖北省宜昌市西陵区大学路8号。最多 200 个字。其他去向留空。"),
    Col.ABROAD_PLACE: ("出国（境）留学必填", "境外学习研究的地点（国家或地区、学校）。"),
    Col.ABROAD_TERM: ("出国（境）留学必填", "境外学习研究的时间期限，如 2021.09–2023.06。"),
    Col.DOMESTIC_CONTACT: ("出国（境）留学必填", "境内联系人姓名。"),
    Col.DOMESTIC_CONTACT_PHONE: ("出国（境）留学必填", "境内联系人的联系方式。"),
    Col.REMARK: ("选填", "最多 100 个字，会填入转接申请的“备注”。"),
    Col.APPROVAL: ("必填", "只有“已审批”的行会被办理；其他值（含空白）的行跳过并在结果中列出。示例行的审核状态是“示例（请删除本行）”，不会被办理。"),
}

_TARGET_HELP = {
    TargetKind.SCHOOL: "录取学校的团组织（按隶属关系查找，如三峡大学团委在团湖北省委下）；不能是流动团员团支部、青年之家或学社衔接临时团支部。",
    TargetKind.EMPLOYER: "工作单位的团组织。",
    TargetKind.GRASSROOTS: "乡镇街道的流动团员团支部或青年之家（就业无团组织：工作单位所在地；因私出国（境）：户籍所在地或父母居住地）。",
    TargetKind.GRASSROOTS_OR_TEMP: "户籍所在地、生源地或本人/父母居住地乡镇街道的学社衔接临时团支部、流动团员团支部或青年之家。",
    TargetKind.NONE: "不填。转出原因为“转往特殊单位团组织”，“是否属于北京/广东/福建”选“否”，经省级团组织审核后转入特殊单位专属库；另须办理线下转接手续。",
}
_RETENTION_HELP = {
    Retention.ABROAD: "不属于升学衔接，不在系统中转出：团组织关系保留在学校，须填写境外学习地点、期限、境内联系人及电话，登记入保留团组织关系登记册。",
    Retention.SIX_MONTHS: "不在系统中转出：团组织关系在学校保留，一般不超过 6 个月（保留截止日期 = 毕业日期 + 6 个月），登记入保留团组织关系登记册；落实去向后应及时转出。",
}


def write_template(out: Path, vocabulary: Vocabulary | None = None) -> None:
    """Write the empty batch to `out` (atomically, mode 0600)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from rpa.xlsx import TEXT_FORMAT, set_safe

    HEADER_FONT = Font(bold=True)
    GREY_FILL = PatternFill(fill_type="solid", start_color="FFEDEDED", end_color="FFEDEDED")
    WRAP = Alignment(wrap_text=True, vertical="top")

    vocab = vocabulary or load_vocabulary()
    columns = list(Col)
    letter = {col: get_column_letter(i + 1) for i, col in enumerate(columns)}
    last = TEMPLATE_ROWS + 1

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    for i, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i, value=col.value)
        cell.font = HEADER_FONT
        cell.fill = GREY_FILL
        cell.comment = Comment(f"{COLUMN_HELP[col][0]}：{COLUMN_HELP[col][1]}", "zhtj-rpa", width=320, height=140)
        ws.column_dimensions[letter[col]].width = 40 if col in (Col.BRANCH, Col.TARGET, Col.UNIT_ADDRESS) else 18
    for col in TEXT_COLUMNS:
        ws.column_dimensions[letter[col]].number_format = TEXT_FORMAT
        for row in range(2, last + 1):
            ws[f"{letter[col]}{row}"].number_format = TEXT_FORMAT
    for i, col in enumerate(columns, start=1):
        set_safe(ws.cell(row=2, column=i), EXAMPLE_ROW.get(col) or None)
    ws.freeze_panes = "A2"

    def dropdown(col: Col, options: list[str], prompt: str) -> None:
        dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
        dv.error = f"请从下拉列表中选择：{'、'.join(options)}"
        dv.errorTitle = col.value
        dv.prompt = prompt
        dv.showErrorMessage = True
        dv.add(f"{letter[col]}2:{letter[col]}{last}")
        ws.add_data_validation(dv)

    dropdown(Col.DESTINATION, [d.value for d in Destination], "毕业去向")
    dropdown(Col.PROVINCE_FLAG, list(vocab.province_flag_options), "转入组织是否属于北京/广东/福建")
    dropdown(Col.PROVINCE, list(vocab.provinces), "转入省份")
    dropdown(Col.STUDY_TYPE, list(vocab.study_types), "升学类型，留空即普通高校")
    dropdown(Col.APPROVAL, APPROVAL_OPTIONS, "只有“已审批”的行会被办理")

    help_ws = wb.create_sheet(HELP_SHEET_NAME)
    help_ws.column_dimensions["A"].width = 30
    help_ws.column_dimensions["B"].width = 20
    help_ws.column_dimensions["C"].width = 34
    help_ws.column_dimensions["D"].width = 90
    rows: list[list[str]] = [
        ["批量转接名单填写说明（依据《关于通过智慧团建系统做好“学社衔接”工作的通知》）"],
        ["名单放在第一个工作表；表头须在前 5 行内，列的顺序可以调整，可增加其他列（原样保留）。只有审核状态为“已审批”的行会被办理。"],
        [],
        ["列", "是否必填", "填写说明"],
    ]
    rows += [[col.value, need, text] for col, (need, text) in COLUMN_HELP.items()]
    rows += [[], ["毕业去向", "是否在系统中转出", "转出原因（系统选项）", "转入组织"]]
    for d in Destination:
        rule = vocab.rule(d)
        if rule.submitted:
            rows.append([d.value, "转出", rule.reason or "", _TARGET_HELP[rule.target]])
        else:
            rows.append([d.value, "不转出（保留在校）", "—", _RETENTION_HELP[rule.retention]])
    rows += [
        [],
        ["注意"],
        ["转入北京、广东、福建三省市的申请提交后不能撤销，请仔细核对转入组织全称。"],
        ["党员在 28 周岁前保留团籍，照常转接；预科升入本科按升学办理；纸质团员材料丢失不影响转接。"],
        ["同一团员在名单中只能出现一次；系统中已有正在办理的转接时，会提示“已有业务正在办理，不能重复发起”。"],
    ]
    for values in rows:
        help_ws.append(values)
    for row in help_ws.iter_rows():
        for cell in row:
            cell.alignment = WRAP
    for r in (1, 4, 6 + len(COLUMN_HELP)):
        for cell in help_ws[r]:
            cell.font = HEADER_FONT

    with atomic_output(Path(out)) as tmp:
        wb.save(tmp)
