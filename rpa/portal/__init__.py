"""Page objects and the signed-in session for 网上共青团·智慧团建 (Playwright, async API).

    session.py        PortalSession: sign in (saved session or password), contexts, the API
    signin.py         the sign-in page; the unattended sign-in (no trace, ever)
    login.py          `rpa login`: a headed sign-in for the captcha
    transfer_form.py  TransferForm: 办理转出 — fill, read back, submit
    member_picker.py  the card 选择转出人: the branch, then the member
    widgets.py        Element UI's el-select and lazy el-cascader, as the page objects use them
    orgtree.py        OrgTree: target paths checked through the API; `check_paths_online`
    history.py        a member's applications (for in-doubt rows); the history page

Every locator, label and message comes from the catalog (`rpa.catalog`, `selectors/`).
"""

from rpa.portal.history import HistoryEntry, applications_of
from rpa.portal.orgtree import OrgTree, check_paths_online
from rpa.portal.session import PortalSession
from rpa.portal.transfer_form import SubmitResult, TransferForm

__all__ = [
    "HistoryEntry",
    "applications_of",
    "OrgTree",
    "PortalSession",
    "SubmitResult",
    "TransferForm",
    "check_paths_online",
]
