"""The app's own files that a page links to, inlined for ``nbapp export``'s one-file page.

Cells link to what the app serves (vendored libraries that replaced CDN copies, files of
installed packages: cdn.py), and the page's renderers load libraries on demand
(library_assets.EXPORT_LOADERS). A file opened from disk has no server to ask, so scripts
become inline scripts, stylesheets inline styles whose fonts and images are data URLs, also
inside an iframe's ``srcdoc`` (folium's maps).
"""

from __future__ import annotations

import base64
import html
import logging
import mimetypes
import re
from pathlib import Path

from nbapp.page.library_assets import (
    EXPORT_LOADERS,
    ITABLES_URL,
    PLOTLY_URL,
    itables_html_dir,
    plotly_js_dir,
)
from nbapp.paths import static_dir

log = logging.getLogger(__name__)

_SCRIPT = re.compile(
    r"""<script\b(?P<before>[^>]*?)\ssrc=(?P<q>["'])(?P<url>/nbapp/[^"'?#]+)(?P=q)(?P<after>[^>]*)>\s*</script>""",
    re.IGNORECASE,
)
_STYLESHEET = re.compile(
    r"""<link\b[^>]*?\bhref=(?P<q>["'])(?P<url>/nbapp/[^"'?#]+\.css)(?P=q)[^>]*>""", re.IGNORECASE
)
# nbconvert may write the attribute in either quote (folium's map comes out in single ones).
_SRCDOC = re.compile(r"""\ssrcdoc=(?P<q>["'])(?P<doc>.*?)(?P=q)""", re.IGNORECASE | re.DOTALL)
_CSS_URL = re.compile(r"""url\(\s*(?P<q>["']?)(?P<url>[^"')]+?)(?P=q)\s*\)""")
# A further font format in an @font-face src list (only woff2 is vendored).
_FONT_FALLBACK = re.compile(r""",\s*url\(\s*["']?(?P<url>[^"')]+?)["']?\s*\)\s*format\([^)]*\)""")


def local_file(url: str) -> Path | None:
    """The file the app serves at ``url``, if any (never outside its root)."""
    roots = {"/nbapp/static/": static_dir()}
    plotly, itables = plotly_js_dir(), itables_html_dir()
    if plotly:
        roots[f"{PLOTLY_URL}/"] = plotly
    if itables:
        roots[f"{ITABLES_URL}/"] = itables
    for prefix, root in roots.items():
        if url.startswith(prefix):
            target = (root / url[len(prefix) :]).resolve()
            if target.is_file() and target.is_relative_to(root.resolve()):
                return target
    return None


def data_url(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".woff2":
        kind = "font/woff2"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def script_text(source: str) -> str:
    """Script text that cannot end its own <script> element early."""
    return source.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def css_inlined(path: Path) -> str:
    """A stylesheet with the files it names next to it as data URLs (missing ones left: a
    browser takes the first font format it supports, and only woff2 is vendored)."""
    folder = path.parent

    def replace(match: re.Match[str]) -> str:
        url = match["url"].split("?")[0].split("#")[0]
        if url.startswith(("data:", "http:", "https:", "//", "#")):
            return match.group(0)
        target = (folder / url).resolve()
        if not target.is_file():
            return match.group(0)
        return f'url("{data_url(target)}")'

    def drop_missing(match: re.Match[str]) -> str:
        url = match["url"].split("?")[0].split("#")[0]
        missing = not url.startswith("data:") and not (folder / url).is_file()
        return "" if missing else match.group(0)

    # Chromium checks every listed font against an exported page's policy, even unused ones.
    css = _FONT_FALLBACK.sub(drop_missing, path.read_text(encoding="utf-8"))
    css = _CSS_URL.sub(replace, css)
    return css.replace("</style", "<\\/style")


def inline_links(page: str) -> str:
    """``page`` with its scripts and stylesheets of the app's own inlined, srcdoc included."""

    def script(match: re.Match[str]) -> str:
        path = local_file(match["url"])
        if path is None:
            log.warning("exported page links to %s, which the app does not have", match["url"])
            return match.group(0)
        attrs = f"{match['before']}{match['after']}"
        return f"<script{attrs}>{script_text(path.read_text(encoding='utf-8'))}</script>"

    def stylesheet(match: re.Match[str]) -> str:
        path = local_file(match["url"])
        return f"<style>{css_inlined(path)}</style>" if path else match.group(0)

    def srcdoc(match: re.Match[str]) -> str:
        inner = html.unescape(match["doc"])
        done = inline_links(inner)
        return match.group(0) if done == inner else f' srcdoc="{html.escape(done, quote=True)}"'

    if "/nbapp/" not in page:
        return page
    page = _SRCDOC.sub(srcdoc, page)
    page = _SCRIPT.sub(script, page)
    return _STYLESHEET.sub(stylesheet, page)


def _mentions(content: str, mime_prefix: str) -> bool:
    # Bundles are JSON in the page, where nbconvert writes "/" as "\/".
    return mime_prefix in content or mime_prefix.replace("/", "\\/") in content


_VENDOR_SCRIPT = re.compile(r"""/nbapp/static/vendor/[\w.\-/]+\.js(?=["'])""")


def loader_assets(content: str) -> tuple[list[str], list[str], list[str]]:
    """Stylesheets and scripts the page would load for ``content``: what the renderers load
    for its MIME types, and vendored scripts its own code adds by URL (altair's HTML renderer
    adds vega's); and the URLs of the latter, which the exported page answers inline."""
    styles: list[str] = []
    names: list[str] = []
    for prefix, (css_files, js_files) in EXPORT_LOADERS.items():
        if _mentions(content, prefix):
            styles += [css_inlined(static_dir() / name) for name in css_files]
            names += [name for name in js_files if name not in names]
    asked = []
    for url in _VENDOR_SCRIPT.findall(content):
        name = url.removeprefix("/nbapp/static/")
        if local_file(url) and url not in asked:
            asked.append(url)
            if name not in names:
                names.append(name)
    scripts = [script_text((static_dir() / name).read_text("utf-8")) for name in names]
    return styles, scripts, asked


def mentions(content: str, mime: str) -> bool:
    """Whether ``content`` (cell HTML) has an output of type ``mime``."""
    return _mentions(content, mime)
