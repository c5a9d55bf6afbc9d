"""What one run of nbapp needs to know, decided once, before anything starts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from nbapp.kernel.specs import ForeignKernel
    from nbapp.page.templates import Template

T = TypeVar("T")

DEFAULT_CELL_TIMEOUT = 60.0
DEFAULT_MAX_OUTPUT_BYTES = 10 * 1024 * 1024
THEMES = ("auto", "light", "dark")
MODES = ("all", "tagged")  # tagged: only cells tagged "app" show


@dataclass(frozen=True)
class RunSettings:
    """Options of ``nbapp run``; built by the CLI, read by everything after it."""

    notebook: Path
    port: int = 0
    cell_timeout: float | None = DEFAULT_CELL_TIMEOUT
    show_tracebacks: bool = False
    query_string: str = ""
    window: bool = True
    debug: bool = False
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES
    theme: str = "auto"  # auto follows the operating system
    only_tagged: bool = False  # show only cells tagged "app" (Panel's servable way)
    kernel: ForeignKernel | None = None  # an installed non-Python kernel; None: nbapp's own
    # A packaged app whose kernel is not installed on this machine shows this in its page
    # instead of running (``nbapp run`` refuses such a notebook with exit code 2 instead).
    kernel_missing: str = ""
    template: Template | None = None  # the page's template; None: nbapp's default page
    snapshots: bool = True  # open on the last run's outputs and keep this run's
    bundled_snapshot: Path | None = None  # a packaged app's build-time snapshot
    working_dir: Path | None = None  # where cells run; None: the notebook's folder
    # nbapp export: the page is saved, so outputs must carry their libraries' front ends.
    static_page: bool = False

    @property
    def kernel_cwd(self) -> Path:
        return self.working_dir or self.notebook.parent

    # Who this app is across launches (window place, widget values, single instance): a
    # packaged app's name; empty for ``nbapp run``, where the notebook's path says it.
    app_id: str = ""
    # Keep the values the user gives input widgets and give them back at the next launch
    # (windowed apps, unless metadata.nbapp.remember_widgets is false).
    remember_widgets: bool = False

    @property
    def identity(self) -> str:
        return self.app_id or str(self.notebook)

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, not {self.port}")
        if self.cell_timeout is not None and self.cell_timeout <= 0:
            raise ValueError(f"cell timeout must be positive, not {self.cell_timeout}")


def kernel_env(settings: RunSettings, preload: Sequence[str] = ()) -> dict[str, str]:
    """What the run's settings tell nbapp's own Python kernel, through its environment;
    ``preload``: packages it imports while it waits for the first cell (preload.py)."""
    from nbapp.kernel.preload import PRELOAD_ENV
    from nbapp.kernel.served import SERVED_ENV, THEME_ENV
    from nbapp.page.library_assets import INLINE_RESOURCES_ENV

    env = {THEME_ENV: settings.theme}
    if settings.only_tagged:
        env[SERVED_ENV] = "1"  # stand where `panel serve` stands
    if settings.static_page:
        env[INLINE_RESOURCES_ENV] = "1"
    if preload:
        env[PRELOAD_ENV] = ",".join(preload)
    return env


def merged_setting(cli_value: T | None, notebook_value: T | None, default: T) -> T:
    """An option given on the command line wins over ``metadata.nbapp``, which wins over
    nbapp's default."""
    if cli_value is not None:
        return cli_value
    if notebook_value is not None:
        return notebook_value
    return default
