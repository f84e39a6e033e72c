"""The selector catalog: `selectors/portal.toml` (plus `vocabulary.toml`), loaded and checked.

Everything the tool must know to find things in the portal — locators, form labels, option
labels, the messages it waits for, the API paths — is data in `selectors/`, so a change of
wording in the portal is an edit there, not here. `load_catalog()` checks the file against
`SCHEMA` at start: a missing or unknown key is a `ConfigError` naming the file and the key,
before any browser opens.

A locator in the catalog is an inline table with one *kind* key and optional modifiers::

    { role = "button", name = "提交" }        page.get_by_role("button", name="提交", exact=True)
    { text = "申请迁移成功" }                 page.get_by_text("申请迁移成功", exact=True)
    { field = "转出原因" }                    the el-form-item whose label reads 转出原因
    { placeholder = "请输入身份证号" }         page.get_by_placeholder(..., exact=True)
    { alt = "验证码" }                        page.get_by_alt_text(..., exact=True)
    { css = ".el-message" }                   page.locator(".el-message")
    ..., has_text = "选择转出人"              .filter(has_text=...)
    ..., within = "chooser"                   looked up inside another locator of the section
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpa.errors import ConfigError
from rpa.vocabulary import Destination, Vocabulary, load_vocabulary

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

CATALOG_FILE = "portal.toml"

LOC, STR, INT, LIST = "locator", "text", "number", "list"

# The widget strategies the driver knows, per [strategies] key (rpa/portal/member_picker.py,
# rpa/portal/org_picker.py).
STRATEGIES: dict[str, tuple[str, ...]] = {
    "member_picker": ("selects", "search_table"),
    "org_picker": ("cascader", "columns"),
}
PAGES = ("signin", "change_password", "personal", "center", "transfers", "transfer_out", "approvals")


def _all(kind: str, *keys: str) -> dict[str, str]:
    return {key: kind for key in keys}


# section -> key -> kind. Nested tables ("transfer.labels", "options.*") are listed as sections.
SCHEMA: dict[str, dict[str, str]] = {
    "strategies": _all(STR, *STRATEGIES),
    "pages": _all(STR, *PAGES),
    "landmarks": _all(LOC, *PAGES),
    "landmarks.names": _all(STR, *PAGES),
    "signin": _all(LOC, "account", "password", "captcha", "captcha_image", "submit"),
    "menu": _all(LOC, "title", "enter_center", "logout", "business", "transfers", "approvals", "transfer_out"),
    "transfer": _all(LOC, "form", "steps", "submit", "reset"),
    "transfer.labels": _all(
        STR, "name", "id_number", "phone", "contact", "branch", "branch_admin", "branch_phone",
        "parent_phone", "province_flag", "province", "target_full_name", "reason", "study_type",
        "school_name", "school_address", "employer_name", "employer_address", "target", "applied_at",
        "remark",
    ),
    "member_picker": {
        **_all(LOC, "card", "branch", "member", "open", "dialog", "by_name", "search", "query", "row", "pick"),
        "option": STR,
    },
    "org_picker": {
        **_all(LOC, "cascader", "popper", "menu", "node", "node_label", "node_radio", "node_loading",
               "node_expand", "column"),
        "separator": STR,
    },
    "options.province_flag": {"yes": STR, "no": STR},
    "transfers": _all(LOC, "search", "query", "table", "row", "revoke"),
    "approvals": {
        **_all(LOC, "pane", "search", "query", "next_page", "table"),
        "closed_states": LIST, "revoked_state": STR, "province_target": STR, "special_target": STR,
    },
    "approvals.columns": _all(STR, "name", "created_at", "finished_at", "from_org", "to_org", "stage", "actions"),
    "widgets": _all(
        LOC, "form_item", "form_item_label", "form_item_content", "input", "select", "select_dropdown",
        "select_option", "select_empty", "message", "message_error", "message_box", "modal", "confirm",
        "form_error", "loading", "column_header",
    ),
    "messages": _all(
        STR, "submitted", "duplicate", "expired", "busy", "confirm", "wrong_password", "captcha", "revoked",
        "first_login",
    ),
    "api": {"prefix": STR, "ok": INT, "failed": INT, "expired": INT},
    "api.paths": _all(STR, "sign_in", "whoami", "branch_list", "member_list", "org_level", "apply", "approval_list"),
    "api.answer": _all(STR, "code", "message", "payload"),
    "api.orgtree": {**_all(STR, "parent", "list", "id", "name", "full_name", "type"), "leaf_types": LIST},
    "api.branch": _all(STR, "id", "name"),
    "api.members": _all(STR, "parent", "page", "size", "total", "list", "id", "name", "id_number", "branch_name"),
    "api.apply": _all(STR, "application_id", "created_at"),
    "api.whoami": _all(STR, "account"),
    "api.approvals": _all(
        STR, "rows", "total", "application_id", "name", "id_masked", "created_at", "stage_name", "target"
    ),
    # `rpa check` (rpa/check/): what its read-only walk may click, type into and let through.
    "check": _all(LIST, "safe_clicks", "safe_fills", "read_calls", "other_reads", "probe_names"),
}
# Option groups whose keys are canonical values; checked against vocabulary.toml instead.
OPTION_GROUPS = ("reason", "study_type", "province")
LOCATOR_KINDS = ("role", "text", "field", "placeholder", "alt", "css")
LOCATOR_MODIFIERS = ("name", "has_text", "within")


@dataclass(frozen=True)
class Catalog:
    """The checked catalog. Build it with `load_catalog()` or `catalog_for(settings)`."""

    path: Path
    data: Mapping[str, Mapping[str, Any]]  # "section" or "section.sub" -> key -> value
    vocabulary: Vocabulary
    overlay: Path | None = None  # the RPA_CATALOG file merged over `path`, if any

    # --- values ----------------------------------------------------------------------------

    def text(self, dotted: str) -> str:
        """A text value, e.g. `text("messages.submitted")`."""
        section, key = dotted.rsplit(".", 1)
        return self.data[section][key]

    def number(self, dotted: str) -> int:
        section, key = dotted.rsplit(".", 1)
        return int(self.data[section][key])

    def texts(self, dotted: str) -> tuple[str, ...]:
        """A list value, e.g. `texts("api.orgtree.leaf_types")`."""
        section, key = dotted.rsplit(".", 1)
        return tuple(self.data[section][key])

    def key(self, call: str, name: str) -> str:
        """The portal's name of a form field or result key of an API call (`[api.<call>]`),
        e.g. `key("orgtree", "parent")` → the field that names the parent org."""
        return self.data[f"api.{call}"][name]

    def label(self, field: str) -> str:
        """The label the transfer form shows for one of its fields (`transfer.labels`)."""
        return self.data["transfer.labels"][field]

    def option(self, group: str, canonical: str) -> str:
        """The option label the portal shows for a canonical value (`options.<group>`)."""
        try:
            return self.data[f"options.{group}"][canonical]
        except KeyError:
            raise ConfigError(
                f"{self.where} 的 [options.{group}] 中没有 {canonical!r}，"
                "请补上该选项在门户中显示的文字。"
            ) from None

    def flag_option(self, flag: bool) -> str:
        return self.data["options.province_flag"]["yes" if flag else "no"]

    def reason_for(self, destination: Destination | str) -> str | None:
        """The canonical 转出原因 of a 毕业去向 (vocabulary.toml); None when not submitted."""
        return self.vocabulary.reason_for(Destination(destination))

    def page_path(self, name: str) -> str:
        """The URL path of one of the portal's pages (`[pages]`)."""
        return self.data["pages"][name]

    def page_name(self, name: str) -> str:
        """What the secretary calls a page (`[landmarks.names]`)."""
        return self.data["landmarks.names"][name]

    def call(self, name: str) -> str:
        """The path of an API call under the API's prefix (`[api.paths]`), as `PortalSession.api` takes it."""
        return self.data["api.paths"][name]

    def api_path(self, name: str) -> str:
        """The URL path of an API call: the prefix and `call(name)`."""
        return self.data["api"]["prefix"] + self.data["api.paths"][name]

    def strategy(self, name: str) -> str:
        """The widget strategy the portal uses for `name` (`[strategies]`)."""
        return self.data["strategies"][name]

    def member_option(self, name: str, masked_id: str) -> str:
        return self.data["member_picker"]["option"].format(name=name, masked_id=masked_id)

    def css(self, dotted: str) -> str:
        """The CSS of a `css` locator (Element UI's own structure), e.g. `css("widgets.input")`."""
        section, key = dotted.rsplit(".", 1)
        return self.data[section][key]["css"]

    @property
    def where(self) -> str:
        """How messages name the catalog: the file, and the overlay merged over it."""
        shown = f"选择器目录 {str(self.path)!r}"
        return shown + (f"（叠加 {str(self.overlay)!r}）" if self.overlay else "")

    # --- locators --------------------------------------------------------------------------

    def locator(self, root: Page | Locator, dotted: str, text: str | None = None) -> Locator:
        """Build the catalog's locator `section.key` under `root` (a page or a locator).

        `text` replaces the text the locator looks for (its name, has_text, text, field,
        placeholder or alt): how `rpa check` looks behind a label the portal renamed."""
        section, key = dotted.rsplit(".", 1)
        spec = self.data[section][key]
        if "within" in spec:
            root = self.locator(root, f"{section}.{spec['within']}")
        if text is not None:
            kind = next((k for k in ("name", "has_text", "text", "field", "placeholder", "alt") if k in spec), None)
            spec = {**spec, kind: text} if kind else spec
        return self._build(root, spec)

    def field(self, root: Page | Locator, label: str) -> Locator:
        """The el-form-item labelled `label` under `root`."""
        return self._build(root, {"field": label})

    def _build(self, root: Page | Locator, spec: Mapping[str, str]) -> Locator:
        if "role" in spec:
            loc = root.get_by_role(spec["role"], name=spec.get("name"), exact=True)  # type: ignore[arg-type]
        elif "text" in spec:
            loc = root.get_by_text(spec["text"], exact=True)
        elif "placeholder" in spec:
            loc = root.get_by_placeholder(spec["placeholder"], exact=True)
        elif "alt" in spec:
            loc = root.get_by_alt_text(spec["alt"], exact=True)
        elif "css" in spec:
            loc = root.locator(spec["css"])
        else:  # field: the form item whose own label is exactly this text (a colon allowed)
            widgets = self.data["widgets"]
            from playwright.async_api import Locator as _Locator

            page = root.page if isinstance(root, _Locator) else root  # `has=` is relative: build it from the page
            label = page.locator(widgets["form_item_label"]["css"]).filter(has_text=_exact(spec["field"]))
            loc = root.locator(widgets["form_item"]["css"]).filter(has=label)
        if "has_text" in spec:
            loc = loc.filter(has_text=spec["has_text"])
        return loc


def _exact(text: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(text)}\s*[:：]?\s*$")


def load_catalog(selectors_dir: Path | str | None = None, overlay: Path | str | None = None) -> Catalog:
    """Load and check `portal.toml` and `vocabulary.toml` from `selectors_dir`.

    `selectors_dir` defaults to the repository's `selectors/` (`Settings.selectors_dir`), so a
    test or a secretary can point a run at an edited copy. `overlay` (`Settings.catalog`,
    RPA_CATALOG) is a TOML file deep-merged over `portal.toml`: its tables are merged key by key,
    any other value (a text, a locator, a list) replaces the one below. Raises `ConfigError`
    (Chinese, naming the file and the key) when anything is missing, unknown or malformed.
    """
    if selectors_dir is None:
        from rpa.config import DEFAULT_SELECTORS_DIR

        selectors_dir = DEFAULT_SELECTORS_DIR
    path = Path(selectors_dir).resolve() / CATALOG_FILE
    raw = _read_toml(path, "请检查 RPA_SELECTORS_DIR。")
    vocabulary = load_vocabulary(path.parent)
    overlay_path = None
    if overlay is not None:
        overlay_path = Path(overlay).resolve()
        extra = _read_toml(overlay_path, "请检查 RPA_CATALOG（选择器目录的叠加文件）。")
        _check_overlay(overlay_path, extra)
        raw = _merge(raw, extra)
    where = f"选择器目录 {str(path)!r}" + (f"（叠加 {str(overlay_path)!r}）" if overlay_path else "")
    data = _check(where, raw, vocabulary)
    return Catalog(path=path, data=data, vocabulary=vocabulary, overlay=overlay_path)


def catalog_for(settings) -> Catalog:
    """The catalog of `settings.selectors_dir`, with the overlay `settings.catalog` merged over it."""
    return load_catalog(settings.selectors_dir, getattr(settings, "catalog", None))


def _read_toml(path: Path, hint: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, IsADirectoryError):
        raise ConfigError(f"找不到选择器目录文件 {str(path)!r}，{hint}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"选择器目录文件 {str(path)!r} 格式有误：{exc}") from None


def _merge(base: dict[str, Any], extra: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`extra` over `base`: sections merged key by key, every other value replaced whole."""
    merged = dict(base)
    for key, value in extra.items():
        below = merged.get(key)
        if _is_section(prefix, key, value) and isinstance(below, dict):
            merged[key] = _merge(below, value, f"{prefix}.{key}" if prefix else key)
        else:
            merged[key] = value
    return merged


def _check_overlay(path: Path, raw: dict[str, Any]) -> None:
    """An overlay may only name sections and keys the catalog has (values are checked merged)."""
    where = f"选择器目录的叠加文件 {str(path)!r}"
    known = set(SCHEMA) | {f"options.{g}" for g in OPTION_GROUPS} | {"options"}

    def walk(prefix: str, table: dict[str, Any]) -> None:
        for key, value in table.items():
            name = f"{prefix}.{key}" if prefix else key
            if _is_section(prefix, key, value):
                if name not in known:
                    raise ConfigError(f"{where} 中有未知的节 [{name}]（可用：{'、'.join(sorted(SCHEMA))}）。")
                walk(name, value)
            elif not prefix:
                raise ConfigError(f"{where} 顶层有未知的键 {key!r}，每个键都应放在某一节（如 [strategies]）下。")
            elif prefix in SCHEMA and key not in SCHEMA[prefix]:
                raise ConfigError(
                    f"{where} 的 [{prefix}] 中有未知的键 {key!r}（可用：{'、'.join(SCHEMA[prefix])}）。"
                )

    walk("", raw)


def _check(where: str, raw: dict[str, Any], vocabulary: Vocabulary) -> dict[str, dict[str, Any]]:

    def fail(message: str) -> ConfigError:
        return ConfigError(f"{where} {message}")

    flat: dict[str, dict[str, Any]] = {}

    def walk(prefix: str, table: dict[str, Any]) -> None:
        values = {k: v for k, v in table.items() if not _is_section(prefix, k, v)}
        if prefix:
            flat[prefix] = values
        elif values:
            key = next(iter(values))
            raise fail(f"顶层有未知的键 {key!r}，每个键都应放在某一节（如 [transfer]）下。")
        for key, value in table.items():
            if _is_section(prefix, key, value):
                walk(f"{prefix}.{key}" if prefix else key, value)

    walk("", raw)

    known = set(SCHEMA) | {f"options.{g}" for g in OPTION_GROUPS} | {"options"}
    for section in flat:
        if section not in known:
            raise fail(f"中有未知的节 [{section}]（可用：{'、'.join(sorted(SCHEMA))}）。")
    for section, keys in SCHEMA.items():
        if section not in flat:
            raise fail(f"缺少节 [{section}]。请对照仓库自带的 selectors/{CATALOG_FILE} 补上。")
        table = flat[section]
        for key in table:
            if key not in keys:
                raise fail(f"的 [{section}] 中有未知的键 {key!r}（可用：{'、'.join(keys)}）。")
        for key, kind in keys.items():
            if key not in table:
                raise fail(f"的 [{section}] 中缺少键 {key!r}。请对照仓库自带的 selectors/{CATALOG_FILE} 补上。")
            _check_value(fail, section, key, kind, table[key], keys)

    for key, choices in STRATEGIES.items():
        chosen = flat["strategies"][key]
        if chosen not in choices:
            raise fail(f"的 [strategies] 中 {key} = {chosen!r} 不是本工具认识的方式（可用：{'、'.join(choices)}）。")
    needed = {
        "reason": {r.reason for r in vocabulary.destinations.values() if r.reason},
        "study_type": set(vocabulary.study_types),
        "province": set(vocabulary.provinces),
    }
    for group in OPTION_GROUPS:
        section = f"options.{group}"
        table = flat.get(section)
        if table is None:
            raise fail(f"缺少节 [{section}]（{group} 的选项文字）。")
        for key in sorted(needed[group] - set(table)):
            raise fail(f"的 [{section}] 中缺少键 {key!r}（vocabulary.toml 用到它）。")
        if group != "reason":  # the portal may offer 转出原因 the tool never picks
            for key in table:
                if key not in needed[group]:
                    raise fail(f"的 [{section}] 中有未知的键 {key!r}（vocabulary.toml 中没有这个值）。")
        for key, value in table.items():
            if not isinstance(value, str) or not value.strip():
                raise fail(f"的 [{section}] 中 {key!r} 应为非空文字，现为 {value!r}。")
    _check_walk(fail, flat)
    for key in flat.pop("options", {}):
        raise fail(f"的 [options] 中有未知的键 {key!r}（选项文字应写在 [options.reason] 等小节中）。")
    return flat


def _check_walk(fail, flat: dict[str, dict[str, Any]]) -> None:
    """`[check]` names only keys the catalog has: locators (or form labels) to click or type
    into, and `[api.paths]` keys for the read calls."""
    for name in ("safe_clicks", "safe_fills"):
        for dotted in flat["check"][name]:
            section, _, key = dotted.rpartition(".")
            known = SCHEMA.get(section, {}).get(key)
            if known != LOC and not (section == "transfer.labels" and known == STR):
                raise fail(f"的 [check] {name} 中 {dotted!r} 不是目录中的定位（如 \"menu.transfers\"）。")
    for key in flat["check"]["read_calls"]:
        if key not in SCHEMA["api.paths"]:
            raise fail(f"的 [check] read_calls 中 {key!r} 不是 [api.paths] 中的键。")


def _is_section(prefix: str, key: str, value: Any) -> bool:
    """A nested table is a section unless it is a locator (an inline table in a section)."""
    if not isinstance(value, dict):
        return False
    if not prefix or prefix == "options":
        return True
    return f"{prefix}.{key}" in SCHEMA


def _check_value(fail, section: str, key: str, kind: str, value: Any, keys: dict[str, str]) -> None:
    name = f"[{section}] {key}"
    if kind == STR:
        if not isinstance(value, str) or not value:
            raise fail(f"中 {name} 应为非空文字，现为 {value!r}。")
    elif kind == INT:
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail(f"中 {name} 应为整数，现为 {value!r}。")
    elif kind == LIST:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise fail(f"中 {name} 应为文字列表，如 [\"01TZB\", \"06BYBTZB\"]，现为 {value!r}。")
    else:
        if not isinstance(value, dict):
            raise fail(f"中 {name} 应为定位表，如 {{ role = \"button\", name = \"提交\" }}，现为 {value!r}。")
        kinds = [k for k in value if k in LOCATOR_KINDS]
        unknown = [k for k in value if k not in LOCATOR_KINDS and k not in LOCATOR_MODIFIERS]
        if unknown:
            raise fail(f"中 {name} 有未知的定位方式 {unknown[0]!r}（可用：{'、'.join(LOCATOR_KINDS + LOCATOR_MODIFIERS)}）。")
        if len(kinds) != 1:
            raise fail(f"中 {name} 应恰好有一种定位方式（{'、'.join(LOCATOR_KINDS)}），现为 {value!r}。")
        for k, v in value.items():
            if not isinstance(v, str) or not v:
                raise fail(f"中 {name} 的 {k} 应为非空文字，现为 {v!r}。")
        if "name" in value and "role" not in value:
            raise fail(f"中 {name} 的 name 只能与 role 一起使用。")
        within = value.get("within")
        if within is not None and (keys.get(within) != LOC or within == key):
            raise fail(f"中 {name} 的 within = {within!r} 不是本节中的另一个定位。")
