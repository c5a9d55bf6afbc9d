"""Reading and validating a .ipynb file, and the facts about it the run needs."""

from __future__ import annotations

import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.v4.rwbase import rejoin_lines, strip_transient
from nbformat.validator import ValidationError

from nbapp.errors import NotebookError

log = logging.getLogger(__name__)

DEFAULT_KERNEL = "python3"


@dataclass(frozen=True)
class Notebook:
    """A validated nbformat 4 notebook and where it lives."""

    path: Path
    node: NotebookNode
    kernel_name: str

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

    @property
    def title(self) -> str:
        """``metadata.nbapp.title``, else the first heading, else the file name."""
        meta = self.node.metadata.get("nbapp", {})
        title = meta.get("title") if isinstance(meta, dict) else None
        if isinstance(title, str) and title:
            return title
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
    return Notebook(path=path.resolve(), node=node, kernel_name=_kernel_name(path, node))


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


def _kernel_name(path: Path, node: NotebookNode) -> str:
    """The kernel to run: nbapp always runs its own private Python kernel."""
    spec = node.metadata.get("kernelspec")
    if not spec:
        log.warning("%s has no kernelspec; running it with the Python kernel", path)
        return DEFAULT_KERNEL
    name = str(spec.get("name", ""))
    language = str(
        spec.get("language", "") or node.metadata.get("language_info", {}).get("name", "")
    )
    if language.lower() == "python" or name.lower().startswith("python"):
        return name or DEFAULT_KERNEL
    if language:
        raise NotebookError(
            path, f"uses the {language} kernel '{name}'; nbapp runs Python notebooks only"
        )
    raise NotebookError(path, f"unknown kernel '{name}'; nbapp runs Python notebooks only")
