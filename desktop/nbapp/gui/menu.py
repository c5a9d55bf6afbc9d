"""The window's menu, said once for every toolkit: menus of items, each with a title, what it
does and its keyboard shortcut. ``nbapp.gui.qt`` builds it as Qt actions (shortcuts included);
other toolkits get pywebview's menu (``to_pywebview``), and GTK its accelerators (``gtk_accel``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Item:
    title: str  # "&" marks the mnemonic letter, as Qt and GTK ("_") expect
    run: Callable[[], None]
    # Portable shortcuts in Qt's notation ("Ctrl" is Command on macOS). A Qt standard key
    # (QKeySequence.StandardKey name) comes first when there is one: it follows the platform.
    shortcuts: tuple[str, ...] = ()
    standard_key: str = ""
    enabled: bool = True

    @property
    def plain_title(self) -> str:
        return _plain(self.title)


def _plain(title: str) -> str:
    return re.sub(r"&(.)", r"\1", title)  # "&&" is a literal "&"


def escaped(text: str) -> str:
    """``text`` in a menu title, its "&" shown rather than taken for a mnemonic."""
    return text.replace("&", "&&")


@dataclass(frozen=True)
class Menu:
    title: str
    items: list[Item | None] = field(default_factory=list)  # None: a separator

    @property
    def plain_title(self) -> str:
        return _plain(self.title)


def to_pywebview(menus: list[Menu]) -> list[Any]:
    """pywebview's menu objects (no shortcuts: pywebview has none); actions run on a thread."""
    from webview.menu import Menu as WebviewMenu
    from webview.menu import MenuAction, MenuSeparator

    return [
        WebviewMenu(
            menu.plain_title,
            [
                MenuAction(item.plain_title, item.run) if item is not None else MenuSeparator()
                for item in menu.items
                if item is None or item.enabled
            ],
        )
        for menu in menus
    ]


def gtk_accel(shortcut: str) -> str:
    """Qt's "Ctrl+Shift+K" in GTK's words: "<Primary><Shift>k"."""
    *modifiers, key = shortcut.split("+")
    names = {"Ctrl": "<Primary>", "Shift": "<Shift>", "Alt": "<Alt>", "Meta": "<Super>"}
    return "".join(names[m] for m in modifiers) + (key.lower() if len(key) == 1 else key)
