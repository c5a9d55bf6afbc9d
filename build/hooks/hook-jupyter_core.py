"""nbconvert's templates live in <prefix>/share/jupyter/nbconvert/templates, not in the package;
the app finds them at <_MEIPASS>/share/jupyter/... since jupyter_core uses sys.prefix."""

import sys
from pathlib import Path

from PyInstaller.utils.hooks import copy_metadata

datas = copy_metadata("jupyter_core")
_templates = Path(sys.prefix) / "share" / "jupyter" / "nbconvert" / "templates"
for _name in ("base", "lab", "classic", "basic"):
    if (_templates / _name).is_dir():
        datas.append((str(_templates / _name), f"share/jupyter/nbconvert/templates/{_name}"))
