"""Where the window stands: its size, position and maximized state, remembered per app and
brought back onto the screens present (a monitor unplugged since, a smaller screen)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nbapp.state import appstate

log = logging.getLogger(__name__)

DEFAULT_SIZE = (1024, 768)
MIN_SIZE = (320, 240)
MAX_SIDE = 16384
_FILE = "window.json"


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int

    def overlap(self, other: Rect) -> int:
        """The area both rectangles cover."""
        width = min(self.x + self.width, other.x + other.width) - max(self.x, other.x)
        height = min(self.y + self.height, other.y + other.height) - max(self.y, other.y)
        return max(0, width) * max(0, height)


@dataclass(frozen=True)
class Geometry:
    """A window's place: its normal (not maximized) size and position, and whether it is
    maximized. No position: the toolkit centres the window."""

    width: int
    height: int
    x: int | None = None
    y: int | None = None
    maximized: bool = False

    @property
    def placed(self) -> bool:
        return self.x is not None and self.y is not None

    def rect(self) -> Rect:
        return Rect(self.x or 0, self.y or 0, self.width, self.height)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _size(value: object) -> tuple[int, int] | None:
    if not (isinstance(value, list | tuple) and len(value) == 2 and all(map(_whole, value))):
        return None
    width, height = value
    return (max(MIN_SIZE[0], min(width, MAX_SIDE)), max(MIN_SIZE[1], min(height, MAX_SIDE)))


def _position(value: object) -> tuple[int, int] | None:
    if not (isinstance(value, list | tuple) and len(value) == 2 and all(map(_whole, value))):
        return None
    x, y = value
    return (x, y) if all(abs(v) <= 10 * MAX_SIDE for v in (x, y)) else None


def _from_json(data: Any) -> Geometry | None:
    if isinstance(data, list):  # nbapp 0.1 kept only the size
        data = {"size": data}
    if not isinstance(data, dict):
        return None
    size = _size(data.get("size"))
    if size is None:
        return None
    x, y = _position(data.get("position")) or (None, None)
    return Geometry(size[0], size[1], x, y, maximized=data.get("maximized") is True)


def _legacy_sizes_file() -> Path:
    return appstate.state_root() / "windows.json"


def remembered(identity: str) -> Geometry | None:
    """How the user last left this app's window; sizes nbapp 0.1 kept in windows.json too."""
    found = _from_json(appstate.read_json(appstate.app_dir(identity) / _FILE))
    if found is not None:
        return found
    legacy = appstate.read_json(_legacy_sizes_file())
    return _from_json(legacy.get(identity)) if isinstance(legacy, dict) else None


def declared(width: int | None, height: int | None) -> Geometry:
    """The size ``metadata.nbapp`` asks for (validated when the notebook was read), else the
    default size."""
    size = _size([width or DEFAULT_SIZE[0], height or DEFAULT_SIZE[1]])
    return Geometry(*(size or DEFAULT_SIZE))


def remember(identity: str, geometry: Geometry) -> None:
    data: dict[str, Any] = {
        "size": [geometry.width, geometry.height],
        "maximized": geometry.maximized,
    }
    if geometry.placed:
        data["position"] = [geometry.x, geometry.y]
    appstate.write_json(appstate.app_dir(identity) / _FILE, data)


def fit(geometry: Geometry, screens: list[Rect]) -> tuple[Geometry, Rect | None]:
    """``geometry`` moved and shrunk to lie whole on one of ``screens`` (the one it covers most,
    else the first, the primary), and that screen; unchanged when no screen is known."""
    if not screens:
        return geometry, None
    screen = screens[0]
    if geometry.placed:
        best = max(screens, key=geometry.rect().overlap)
        if geometry.rect().overlap(best) > 0:
            screen = best
    width = max(min(geometry.width, screen.width), min(MIN_SIZE[0], screen.width))
    height = max(min(geometry.height, screen.height), min(MIN_SIZE[1], screen.height))
    if not geometry.placed:
        return replace(geometry, width=width, height=height), screen
    assert geometry.x is not None and geometry.y is not None
    x = min(max(geometry.x, screen.x), screen.x + screen.width - width)
    y = min(max(geometry.y, screen.y), screen.y + screen.height - height)
    if (x, y) != (geometry.x, geometry.y):
        log.info("window moved from %d,%d to %d,%d onto a screen", geometry.x, geometry.y, x, y)
    return Geometry(width, height, x, y, geometry.maximized), screen


class Tracker:
    """Follows a window's events to know its normal geometry when it closes (toolkits that
    cannot be asked directly, e.g. for the size under a maximized window)."""

    def __init__(self, start: Geometry) -> None:
        self.geometry = start

    def moved(self, x: int, y: int) -> None:
        if not self.geometry.maximized:
            self.geometry = replace(self.geometry, x=x, y=y)

    def resized(self, width: int, height: int) -> None:
        if not self.geometry.maximized:
            self.geometry = replace(self.geometry, width=width, height=height)

    def maximized(self) -> None:
        self.geometry = replace(self.geometry, maximized=True)

    def restored(self) -> None:
        self.geometry = replace(self.geometry, maximized=False)
