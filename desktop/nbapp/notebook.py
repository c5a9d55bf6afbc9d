"""Reading and validating a .ipynb file, and the facts about it the run needs."""

from __future__ import annotations

import json
import logging
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbformat.v4.rwbase import rejoin_lines, strip_transient
from nbformat.validator import ValidationError

from nbapp.errors import NotebookError
from nbapp.settings import MODES, THEMES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AppMetadata:
    """``metadata.nbapp``: the app settings an author keeps in the notebook (all optional)."""

    title: str | None = None
    icon: str | None = None  # an image file, relative to the notebook
    theme: str | None = None  # auto | light | dark
    width: int | None = None  # window size in pixels
    height: int | None = None
    mode: str | None = None  # all: every output; tagged: only cells tagged "app"
    timeout: float | None = None  # seconds per cell; 0 = no limit
    template: str | None = None  # a template's name or folder (nbapp.page.templates)
    # false: the app does not keep the values the user gives its widgets between launches
    remember_widgets: bool | None = None


def _check_app_metadata(path: Path, raw: Any) -> AppMetadata:
    """Validate ``metadata.nbapp``, naming the bad key and value in one line."""
    where = "metadata.nbapp"
    if raw is None:
        return AppMetadata()
    if not isinstance(raw, dict):
        raise NotebookError(path, f"{where} must be an object, not {type(raw).__name__}")
    known = [f.name for f in fields(AppMetadata)]
    for key, value in raw.items():
        if key not in known:
            raise NotebookError(path, f"{where}: unknown key {key!r} (known: {', '.join(known)})")
        problem = _app_value_problem(key, value)
        if problem:
            raise NotebookError(path, f"{where}.{key} {problem}, not {value!r}")
    if raw.get("icon") and not (path.parent / raw["icon"]).is_file():
        raise NotebookError(
            path, f"{where}.icon: no such file {raw['icon']!r} next to the notebook"
        )
    return AppMetadata(**raw)


def _app_value_problem(key: str, value: Any) -> str:
    if key in ("title", "icon", "template"):
        return "" if isinstance(value, str) and value.strip() else "must be a non-empty string"
    if key == "theme":
        return "" if value in THEMES else f"must be one of {', '.join(THEMES)}"
    if key == "mode":
        return "" if value in MODES else f"must be one of {', '.join(MODES)}"
    if key == "remember_widgets":
        return "" if isinstance(value, bool) else "must be true or false"
    if key in ("width", "height"):
        ok = isinstance(value, int) and not isinstance(value, bool) and 200 <= value <= 10000
        return "" if ok else "must be a whole number of pixels from 200 to 10000"
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
    return "" if ok else "must be a number of seconds (0 = no limit)"


@dataclass(frozen=True)
class Notebook:
    """A validated nbformat 4 notebook and where it lives (its kernel: ``nbapp.kernel.specs``)."""

    path: Path
    node: NotebookNode
    app: AppMetadata = field(default_factory=AppMetadata)

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def cells(self) -> list[NotebookNode]:
        return list(self.node.cells)

    @property
    def code_cell_indices(self) -> list[int]:
        """Indices of the cells the kernel must run (code cells with any source)."""
        return [
            i
            for i, cell in enumerate(self.node.cells)
            if cell.cell_type == "code" and cell.source.strip()
        ]

    @property
    def needs_kernel(self) -> bool:
        return bool(self.code_cell_indices)

    def icon_file(self) -> Path | None:
        """``metadata.nbapp.icon``, a file relative to the notebook's folder (checked when the
        notebook was read; it may have gone since)."""
        if not self.app.icon:
            return None
        path = (self.folder / self.app.icon).resolve()
        if not path.is_file():
            log.warning("the icon %s named in the notebook's metadata does not exist", path)
            return None
        return path

    @property
    def title(self) -> str:
        """``metadata.nbapp.title``, else the first heading, else the file name."""
        if self.app.title:
            return self.app.title
        for cell in self.node.cells:
            if cell.cell_type != "markdown":
                continue
            source: str = cell.source
            for line in source.splitlines():
                heading = line.strip().lstrip("#").strip() if line.lstrip().startswith("#") else ""
                if heading:
                    return heading
        return self.path.stem


def load_notebook(path: Path) -> Notebook:
    """Read ``path`` as an nbformat 4 notebook or raise NotebookError naming the problem."""
    text = _read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            path, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    if not isinstance(data, dict):
        raise NotebookError(path, "not a notebook (the JSON is not an object)")
    major = data.get("nbformat")
    if major != 4:
        hint = "; open and save it in Jupyter to upgrade it" if isinstance(major, int) else ""
        raise NotebookError(path, f"nbformat {major} is not supported, only nbformat 4{hint}")
    node = _validated(path, data)
    app = _check_app_metadata(path, node.metadata.get("nbapp"))
    return Notebook(path=path.resolve(), node=node, app=app)


def _read_text(path: Path) -> str:
    if not path.exists():
        raise NotebookError(path, "no such file")
    if path.is_dir():
        raise NotebookError(path, "is a directory, not a notebook")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise NotebookError(path, "not a text file (it is not UTF-8)") from exc
    except OSError as exc:
        raise NotebookError(path, f"cannot be read ({exc.strerror})") from exc


def _validated(path: Path, data: dict[str, object]) -> NotebookNode:
    with warnings.catch_warnings():
        # Old notebooks lack cell ids; normalize() adds them instead of warning.
        warnings.simplefilter("ignore")
        try:
            _, normalized = nbformat.validator.normalize(data)
            node = nbformat.from_dict(normalized)
            nbformat.validate(node)
            # nbformat 4.0-4.4 cells have no ids; whatever builds a 4.5 notebook from them
            # later (the renderer, nbclient) would warn on stderr. Upgrade once, here.
            if node.nbformat_minor < 5:
                node = nbformat.v4.upgrade(node)
        except ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "top level"
            first_line = str(exc.message).splitlines()[0]
            raise NotebookError(
                path, f"invalid nbformat 4 notebook at {where}: {first_line}"
            ) from exc
        except (KeyError, AttributeError, TypeError) as exc:
            raise NotebookError(path, f"invalid nbformat 4 notebook ({exc!r})") from exc
    validated: NotebookNode = strip_transient(rejoin_lines(node))
    return validated
