"""Page templates: which folders lay the dashboard out, and how their Jinja2 files are found.

A template is a folder (see the README's "Templates" section)::

    page.html.j2   the page: extends "default/page.html.j2" and overrides its blocks
    cell.html.j2   one cell: extends "default/cell.html.j2" (nbconvert's blocks for outputs)
    static/        its CSS, fonts, images and scripts, served by the app
    conf.json      {"base_template": "default", "theme": "dark"}, both optional

A template builds on its ``base_template`` (nbapp's ``default`` when unset), which builds on
its own, down to ``default``: the chain. A file missing from a template is taken from the
next one in the chain. A name is looked up, as Voilà looks its templates up, in
``templates/`` next to the notebook, then in ``nbapp/templates`` of every Jupyter data folder
(``jupyter_path``: where ``pip install`` puts a template's share files), then among nbapp's
own. A value with a path separator in it is a folder.

Finding needs neither Jinja2 nor nbconvert, so it costs nothing before the kernel starts;
``nbapp.page.template_env`` loads and checks the files.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbapp.errors import UsageError
from nbapp.paths import templates_dir
from nbapp.settings import THEMES

log = logging.getLogger(__name__)

DEFAULT = "default"
PAGE = "page.html.j2"
CELL = "cell.html.j2"
CONF = "conf.json"
STATIC = "static"
_CONF_KEYS = ("base_template", "theme")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# metadata.voila.template values that have an nbapp counterpart.
VOILA_EQUIVALENTS = {"lab": DEFAULT, "classic": DEFAULT, "gridstack": "grid", "reveal": "slides"}


class TemplateError(UsageError):
    """A template that cannot be used: the message names it, its folder and the problem."""


@dataclass(frozen=True)
class TemplateDir:
    """One folder of the chain."""

    name: str
    path: Path
    base: str | None  # the template this one builds on; None only for nbapp's default
    theme: str | None
    builtin: bool

    @property
    def static(self) -> Path | None:
        folder = self.path / STATIC
        return folder if folder.is_dir() else None

    def describe(self) -> str:
        return f"template {self.name!r} ({self.path})"


@dataclass(frozen=True)
class Template:
    """A resolved template: its folder first, nbapp's ``default`` last."""

    chain: tuple[TemplateDir, ...]

    @property
    def name(self) -> str:
        return self.chain[0].name

    @property
    def theme(self) -> str | None:
        """The first theme a template of the chain sets in its conf.json."""
        return next((d.theme for d in self.chain if d.theme), None)

    @property
    def builtin(self) -> bool:
        return all(d.builtin for d in self.chain)

    def static_file(self, relative: str) -> tuple[int, Path] | None:
        """(position in the chain, file) of the first ``static/<relative>`` of the chain."""
        parts = Path(relative).parts
        if not parts or Path(relative).is_absolute() or ".." in parts or "\\" in relative:
            return None
        for number, folder in enumerate(self.chain):
            static = folder.static
            if static is not None and (static / relative).is_file():
                return number, static / relative
        return None


# --- finding ---------------------------------------------------------------------------------
def search_roots(notebook_folder: Path) -> list[Path]:
    """Where template names are looked up, first match wins."""
    from jupyter_core.paths import jupyter_path

    roots = [notebook_folder / "templates"]
    roots += [Path(p) for p in jupyter_path("nbapp", "templates")]
    roots.append(templates_dir())
    return roots


def builtin_template() -> Template:
    """nbapp's own ``default`` page (no file system search, no Jinja2)."""
    return Template((_read_dir(DEFAULT, templates_dir() / DEFAULT, builtin=True),))


def find_template(spec: str, notebook_folder: Path, *, relative_to: Path, origin: str) -> Template:
    """The template ``spec`` names (a name or a folder path, relative to ``relative_to``);
    ``origin`` says where the value came from, for the error message."""
    roots = search_roots(notebook_folder)
    if _is_path(spec):
        folder = (relative_to / spec).resolve()
        if not folder.is_dir():
            raise TemplateError(f"{origin} {spec!r}: no such folder ({folder})")
        first = _read_dir(folder.name, folder, builtin=False)
    else:
        if not _NAME.match(spec):
            raise TemplateError(f"{origin} {spec!r}: not a template name or folder path")
        found = _lookup(spec, roots, skip=())
        if found is None:
            where = ", ".join(str(r) for r in roots)
            raise TemplateError(f"{origin} {spec!r}: no template of that name (looked in {where})")
        first = found
    chain = [first]
    while chain[-1].base is not None:
        parent_name = chain[-1].base
        parent = _lookup(parent_name, roots, skip=tuple(d.path for d in chain))
        if parent is None:
            raise TemplateError(
                f"{chain[-1].describe()}: conf.json base_template {parent_name!r}: no template "
                "of that name (other than itself)"
            )
        chain.append(parent)
    return Template(tuple(chain))


def _is_path(spec: str) -> bool:
    return "/" in spec or "\\" in spec or spec.startswith((".", "~")) or Path(spec).is_absolute()


def _lookup(name: str, roots: Iterable[Path], *, skip: tuple[Path, ...]) -> TemplateDir | None:
    """The first folder called ``name`` under ``roots`` that is not in ``skip`` (so that a
    template may build on a template of the same name further down the roots)."""
    builtin_root = templates_dir().resolve()
    for root in roots:
        folder = (root / name).resolve()
        if folder.is_dir() and folder not in skip:
            return _read_dir(name, folder, builtin=folder.parent == builtin_root)
    return None


def _read_dir(name: str, folder: Path, *, builtin: bool) -> TemplateDir:
    described = f"template {name!r} ({folder})"
    has = [p.name for p in (folder / PAGE, folder / CELL, folder / CONF, folder / STATIC)]
    if not any((folder / entry).exists() for entry in has):
        raise TemplateError(f"{described}: not an nbapp template (it has none of {', '.join(has)})")
    conf = _read_conf(folder / CONF, described)
    base = conf.get("base_template", DEFAULT)
    if builtin and name == DEFAULT:
        base = None  # the root of every chain
    return TemplateDir(name, folder.resolve(), base, conf.get("theme"), builtin)


def _read_conf(path: Path, described: str) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        conf = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{described}: conf.json cannot be read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise TemplateError(
            f"{described}: conf.json is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg})"
        ) from exc
    if not isinstance(conf, dict):
        raise TemplateError(f"{described}: conf.json must hold an object")
    for key, value in conf.items():
        if key not in _CONF_KEYS:
            raise TemplateError(
                f"{described}: conf.json: unknown key {key!r} (known: {', '.join(_CONF_KEYS)})"
            )
        if key == "theme" and value not in THEMES:
            raise TemplateError(
                f"{described}: conf.json theme must be one of {', '.join(THEMES)}, not {value!r}"
            )
        if key == "base_template" and not (isinstance(value, str) and _NAME.match(value)):
            raise TemplateError(f"{described}: conf.json base_template {value!r} is not a name")
    return conf
