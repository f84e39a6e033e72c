"""Page objects and the signed-in session for 网上共青团·智慧团建 (Playwright, async API).

    session.py        PortalSession: sign in (saved session or password), contexts, the API
    signin.py         the sign-in page; the unattended sign-in (no trace, ever)
    login.py          `rpa login`: a headed sign-in for the captcha
    navigation.py     Navigator: which page is on show; the menus' way to 办理转出
    transfer_form.py  TransferForm: 办理转出 — choose the member, fill, read back, submit
    member_picker.py  选择转出人, strategy "selects" or "search_table"
    org_picker.py     申请转入组织, strategy "cascader" or "columns"; the page's tree answers
    widgets.py        Element UI's el-select; reading the portal's answers
    orgtree.py        OrgTree: target paths checked through the API
    roster.py         Roster: the account's branches and their members, through the API
    online.py         check_rows_online: `rpa validate --online`
    history.py        applications_of: a member's applications (组织关系审批, by name)

Every locator, label and message comes from the catalog (`rpa.catalog`, `selectors/`).
"""

from rpa.portal.history import HistoryEntry, applications_of
from rpa.portal.online import check_rows_online
from rpa.portal.orgtree import OrgTree
from rpa.portal.session import PortalSession
from rpa.portal.submission import SubmitResult
from rpa.portal.transfer_form import TransferForm

__all__ = [
    "HistoryEntry",
    "applications_of",
    "OrgTree",
    "PortalSession",
    "SubmitResult",
    "TransferForm",
    "applications_of",
    "check_rows_online",
]
