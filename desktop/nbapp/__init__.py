"""nbapp: turn a Jupyter notebook into a desktop app that runs offline."""

from __future__ import annotations

__version__ = "0.1.0"
