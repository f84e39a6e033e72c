"""What a page shows, read the way the catalog's locators look for it.

    await texts_like(catalog, root, spec)   # the texts of the same kind as a locator's: every
                                            # button's for a role=button, every form label's for
                                            # a field, every placeholder for a placeholder …
    await shot(page, path)                  # a screenshot with every non-label text masked
    await outline(page)                     # the page's DOM outline, texts replaced by kind+length

A text is "label-like" when it belongs to a label, a button, a column header, a menu item, a tab,
a heading or a card's title: the words of the portal itself. Everything else (names, ID numbers,
options, cells, input values) may be a person's data, and is masked in screenshots and replaced
by its kind and length in outlines.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.async_api import Error as PlaywrightError

from rpa.check.candidates import clean
from rpa.files import private_dir
from rpa.portal.widgets import WAIT_ERRORS

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

    from rpa.catalog import Catalog

# Which elements hold the portal's own words: HTML and ARIA (an element inside a label, button,
# column header, link, menu item, tab …) and an element whose own class names it a label or a
# title (the BEM-style `__label` / `__title` / `__header` is how Element UI and its kin name them).
# A table cell, an option, an input is never one.
LABEL_LIKE_JS = r"""
const LABEL_SEL = 'label, button, th, legend, h1, h2, h3, h4, h5, h6, [role=button], [role=menuitem], '
  + '[role=tab], [role=link], [role=columnheader], [role=heading], a, [role=radio]';
const LABEL_CLASS = /(^|[\s-])(label|title)(\s|$)|__(label|title|header)(\s|$)/;
const NEVER_SEL = 'td, li[role=option], input, textarea, select, option';
function labelLike(el) {
  if (typeof el.className === 'string' && LABEL_CLASS.test(el.className) && !el.closest(NEVER_SEL)) return true;
  for (let e = el; e && e !== document.body; e = e.parentElement) {
    if (e.matches(LABEL_SEL)) return true;
    if (e.matches(NEVER_SEL)) return false;
  }
  return false;
}
function ownText(el) {
  let text = '';
  for (const n of el.childNodes) if (n.nodeType === 3) text += n.textContent;
  return text.replace(/\s+/g, ' ').trim();
}
function visible(el) {
  const r = el.getBoundingClientRect();
  const s = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
}
"""

# Mark (data-rpa-mask) every element with its own non-label text, and every input, for the mask.
MARK_JS = LABEL_LIKE_JS + r"""
(() => {
  let n = 0;
  for (const el of document.body.querySelectorAll('*')) {
    if (['SCRIPT', 'STYLE', 'svg'].includes(el.tagName)) continue;
    const isInput = el.matches('input, textarea, select');
    if ((isInput || (ownText(el) && !labelLike(el))) && visible(el)) { el.setAttribute('data-rpa-mask', ''); n++; }
  }
  return n;
})()
"""
UNMARK_JS = "document.querySelectorAll('[data-rpa-mask]').forEach(el => el.removeAttribute('data-rpa-mask'))"

# The DOM outline: one entry per element (depth, tag, classes, role, a few attributes, its own
# text when label-like, else the text's length; an input's value's length, never the value).
OUTLINE_JS = LABEL_LIKE_JS + r"""
(() => {
  const out = [];
  const walk = (el, depth) => {
    if (out.length > 4000 || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(el.tagName)) return;
    const text = ownText(el);
    const item = { depth, tag: el.tagName.toLowerCase(), visible: visible(el) };
    if (typeof el.className === 'string' && el.className.trim()) item.classes = el.className.trim().split(/\s+/).slice(0, 8);
    for (const a of ['id', 'role', 'type', 'for', 'placeholder', 'alt', 'aria-label', 'title', 'name']) {
      if (el.hasAttribute(a)) (item.attrs = item.attrs || {})[a] = el.getAttribute(a);
    }
    if (el.tagName === 'A' && el.getAttribute('href')) (item.attrs = item.attrs || {}).href = el.getAttribute('href').split('?')[0];
    if (text) { item.textLength = text.length; if (labelLike(el)) item.text = text; }
    if ('value' in el && typeof el.value === 'string' && el.matches('input, textarea, select')) item.valueLength = el.value.length;
    out.push(item);
    for (const child of el.children) walk(child, depth + 1);
  };
  walk(document.body, 0);
  return out;
})()
"""

_MASK_COLOR = "#9aa0a6"


async def texts_like(catalog: Catalog, root: Page | Locator, spec: dict[str, str]) -> list[str]:
    """The visible texts under `root` of the kind `spec` looks for (see the module's docstring)."""
    try:
        if "role" in spec:
            texts = await root.get_by_role(spec["role"]).filter(visible=True).all_inner_texts()  # type: ignore[arg-type]
        elif "field" in spec:
            texts = await root.locator(catalog.css("widgets.form_item_label")).filter(visible=True).all_inner_texts()
        elif "placeholder" in spec:
            texts = await root.locator(catalog.css("widgets.input")).filter(visible=True).evaluate_all(
                "els => els.map(e => e.getAttribute('placeholder') || '')")
        elif "alt" in spec:
            texts = await root.locator("img").evaluate_all("els => els.map(e => e.getAttribute('alt') || '')")
        elif "css" in spec and "has_text" in spec:
            texts = await root.locator(spec["css"]).filter(visible=True).all_inner_texts()
        elif "text" in spec:
            texts = await root.locator("body *" if _is_page(root) else "*").filter(visible=True).evaluate_all(
                "els => els.filter(e => !e.children.length).map(e => e.textContent)")
        else:
            return []
    except (PlaywrightError, *WAIT_ERRORS):
        return []
    return list(dict.fromkeys(t for t in (clean(x) for x in texts) if t))


def _is_page(root: Any) -> bool:
    return hasattr(root, "goto")


async def shot(page: Page, path: Path) -> str | None:
    """A screenshot of the viewport with every non-label text and every input masked; the path
    written, or None when the page couldn't be shot."""
    private_dir(path.parent)  # (output files are the secretary's only: 0700 / 0600)
    try:
        await page.evaluate(MARK_JS)
        await page.screenshot(path=str(path), mask=[page.locator("[data-rpa-mask]")], mask_color=_MASK_COLOR,
                              timeout=10_000)
    except (PlaywrightError, *WAIT_ERRORS):
        return None
    finally:
        with contextlib.suppress(PlaywrightError):
            await page.evaluate(UNMARK_JS)
    with contextlib.suppress(OSError):
        path.chmod(0o600)
    return str(path)


async def outline(page: Page) -> list[dict[str, Any]]:
    """The page's DOM outline (see OUTLINE_JS); texts still to be screened (`capture.py`)."""
    try:
        return await page.evaluate(OUTLINE_JS)
    except PlaywrightError:
        return []
