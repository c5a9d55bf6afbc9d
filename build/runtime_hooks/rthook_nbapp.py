"""Runs first in every start of a packaged app (and of its kernel)."""

import os

# jupyter_core's platformdirs migration warning is noise inside an app.
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
