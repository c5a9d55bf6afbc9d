"""Jinja2 over a template's chain: the loader both the page and nbconvert use, the page's
environment, and the checks that turn a bad template into one line before the kernel starts.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from pathlib import Path

import jinja2
from jinja2 import nodes

from nbapp.page.templates import STATIC, Template, TemplateDir, TemplateError
from nbapp.paths import nbconvert_template_paths

# nbconvert's templates use {% break %} and {% continue %}.
EXTENSIONS = ["jinja2.ext.loopcontrols"]
_LISTED_BLOCKS = 24


class ChainLoader(jinja2.BaseLoader):
    """``page.html.j2`` is the file of the first template of the chain that has one;
    ``grid/page.html.j2`` the one of the template called ``grid`` in the chain (the deepest of
    that name, so that a template can extend one it shadows)."""

    def __init__(self, chain: tuple[TemplateDir, ...]) -> None:
        self._folders = [d.path for d in chain]
        self._named = {d.name: d.path for d in chain}  # deeper entries overwrite

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = self.find(template)
        if path is None:
            raise jinja2.TemplateNotFound(template)
        mtime = path.stat().st_mtime
        source = path.read_text(encoding="utf-8")
        return source, str(path), lambda: path.is_file() and path.stat().st_mtime == mtime

    def find(self, name: str) -> Path | None:
        parts = name.split("/")
        if ".." in parts or "" in parts or "\\" in name:
            return None
        head, *rest = parts
        if rest and head in self._named:
            candidate = self._named[head].joinpath(*rest)
            if candidate.is_file():
                return candidate
        for folder in self._folders:
            candidate = folder.joinpath(*parts)
            if candidate.is_file():
                return candidate
        return None


def page_environment(template: Template) -> jinja2.Environment:
    """Where page.html.j2 and what it extends are compiled; values are HTML-escaped."""
    return jinja2.Environment(
        loader=ChainLoader(template.chain), autoescape=True, extensions=EXTENSIONS
    )


# --- checks --------------------------------------------------------------------------------
def check_files(template: Template) -> None:
    """Every Jinja2 file in the template's own folders parses, and overrides only blocks that
    the template it extends has (Jinja2 would silently ignore a misspelt one)."""
    loader = jinja2.ChoiceLoader(
        [ChainLoader(template.chain), jinja2.FileSystemLoader(nbconvert_template_paths())]
    )
    env = jinja2.Environment(loader=loader, extensions=EXTENSIONS)
    for folder in template.chain:
        if folder.builtin:
            continue  # nbapp's own are tested
        for path in sorted(folder.path.rglob("*.j2")):
            relative = path.relative_to(folder.path)
            if relative.parts[0] != STATIC:
                _check_file(env, template, folder, relative.as_posix())


def _check_file(
    env: jinja2.Environment, template: Template, folder: TemplateDir, relative: str
) -> None:
    where = f"{folder.describe()}: {relative}"
    path = folder.path / relative
    try:
        source = path.read_text(encoding="utf-8")
        tree = env.parse(source, relative, str(path))
    except UnicodeDecodeError as exc:
        raise TemplateError(f"{where}: not a UTF-8 text file") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{where} line {exc.lineno}: {_first_line(exc.message)}") from exc
    parent = _extended(tree)
    if parent is None:
        return
    try:
        parent_file = str(env.loader.get_source(env, parent)[1])  # type: ignore[union-attr]
    except jinja2.TemplateNotFound:
        names = [f"{d.name}/{relative}" for d in template.chain if d is not folder]
        hint = f" (e.g. {', '.join(names)})" if names else ""
        raise TemplateError(
            f"{where}: extends {parent!r}, which no template of its chain has{hint}"
        ) from None
    if Path(parent_file).resolve() == path.resolve():
        raise TemplateError(
            f"{where}: extends itself; extend its parent by name, e.g. 'default/{relative}'"
        )
    known = _blocks_of(env, parent, set())
    for block in _top_blocks(tree):
        if block.name not in known:
            raise TemplateError(
                f"{where} line {block.lineno}: unknown block {block.name!r} "
                f"({_suggestion(block.name, known, parent)})"
            )


def _suggestion(name: str, known: set[str], parent: str) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    listed = sorted(known)
    extra = len(listed) - _LISTED_BLOCKS
    more = f" and {extra} more" if extra > 0 else ""
    return f"{parent} has {', '.join(listed[:_LISTED_BLOCKS])}{more}"


def _first_line(message: str | None) -> str:
    return (message or "syntax error").strip().splitlines()[0]


def _extended(tree: nodes.Template) -> str | None:
    """The name a template extends, when it is a plain string."""
    for node in tree.find_all(nodes.Extends):
        if isinstance(node.template, nodes.Const) and isinstance(node.template.value, str):
            return node.template.value
        return None
    return None


def _top_blocks(node: nodes.Node) -> Iterator[nodes.Block]:
    """The blocks a child template overrides (blocks nested in those are its own, new ones)."""
    for child in node.iter_child_nodes():
        if isinstance(child, nodes.Block):
            yield child
        else:
            yield from _top_blocks(child)


def _blocks_of(env: jinja2.Environment, name: str, seen: set[str]) -> set[str]:
    """Every block of ``name`` and of what it extends."""
    if name in seen:
        return set()
    seen.add(name)
    source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    tree = env.parse(source, name, filename)
    found = {block.name for block in tree.find_all(nodes.Block)}
    parent = _extended(tree)
    if parent is not None:
        found |= _blocks_of(env, parent, seen)
    return found
