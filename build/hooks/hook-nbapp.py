"""nbapp's own files: the page's assets and the modules the app imports lazily."""

from PyInstaller.utils.hooks import collect_submodules, copy_metadata

from nbapp.paths import assets_dir

_assets = assets_dir()
# The page needs templates/ and static/; assets/js/ is the widget bundle's source.
datas = [
    (str(path), str("nbapp/assets" / path.relative_to(_assets).parent))
    for folder in ("templates", "static")
    for path in (_assets / folder).rglob("*")
    if path.is_file()
]
# The builder (nbapp.package) stays out of the app; only its tiny CLI module is imported.
hiddenimports = collect_submodules(
    "nbapp",
    filter=lambda name: not name.startswith("nbapp.package") or name == "nbapp.package.cli",
)
datas += copy_metadata("nbapp")
