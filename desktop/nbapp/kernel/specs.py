"""Which kernel runs a notebook: nbapp's own Python kernel, or an installed Jupyter kernel.

A notebook names its kernel in ``metadata.kernelspec.name`` (else only its language, in
``kernelspec.language`` or ``language_info.name``); ``--kernel NAME`` overrides. Kernels are
found the way jupyter_client finds them (``KernelSpecManager`` over ``jupyter_path('kernels')``),
so what ``jupyter kernelspec list`` shows is what nbapp can run.

Python notebooks always run on nbapp's own private ipykernel (it is the one a packaged app
freezes, and the one whose imports ``nbapp package`` can discover), whatever Python
kernelspec they name. Every other language runs on its installed kernel, started through
``nbapp.kernel.supervisor`` so that it dies with nbapp.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nbapp.errors import UsageError

if TYPE_CHECKING:
    from jupyter_client.kernelspec import KernelSpec

    from nbapp.notebook import Notebook

log = logging.getLogger(__name__)

PYTHON = "python"


@dataclass(frozen=True)
class ForeignKernel:
    """An installed, non-Python kernelspec, as nbapp will launch it."""

    name: str  # the kernelspec's name, e.g. "ir"
    display_name: str
    language: str
    argv: tuple[str, ...]  # the kernelspec's command, {connection_file} not yet filled in
    resource_dir: str
    interrupt_mode: str = "signal"  # or "message" (an interrupt_request on the control channel)
    env: dict[str, str] = field(default_factory=dict)

    def spec(self, command_prefix: list[str]) -> KernelSpec:
        """The kernelspec jupyter_client launches: our supervisor in front of its command."""
        from jupyter_client.kernelspec import KernelSpec

        return KernelSpec(
            argv=[*command_prefix, *self.argv],
            display_name=self.display_name,
            language=self.language,
            interrupt_mode=self.interrupt_mode,
            env=dict(self.env),
            resource_dir=self.resource_dir,
            # Always jupyter_client's local provisioner: a kernelspec's own provisioner
            # (remote, containers) could not give the guarantees nbapp makes for the process.
            metadata={},
        )


class KernelNotFoundError(UsageError):
    """The kernel a notebook needs is not installed here (exit 2)."""


def _is_python(name: str, language: str) -> bool:
    return language.lower() == PYTHON or name.lower().startswith(PYTHON)


def installed() -> dict[str, KernelSpec]:
    """Every kernelspec jupyter_client can find, by name (unreadable ones left out)."""
    from jupyter_client.kernelspec import KernelSpecManager

    manager = KernelSpecManager()
    found: dict[str, KernelSpec] = {}
    for name, folder in sorted(manager.find_kernel_specs().items()):
        try:
            found[name] = manager.get_kernel_spec(name)
        except Exception as exc:  # a broken kernel.json must not hide the others
            log.debug("kernelspec %s in %s is unreadable: %s", name, folder, exc)
    return found


def _listing(specs: dict[str, KernelSpec]) -> str:
    if not specs:
        return "no Jupyter kernels are installed"
    names = ", ".join(f"{name} ({spec.language})" for name, spec in specs.items())
    return f"installed kernels: {names}"


def notebook_kernel(notebook: Notebook) -> tuple[str, str]:
    """(kernelspec name, language) as the notebook's metadata gives them ("" if absent)."""
    metadata = notebook.node.metadata
    spec = metadata.get("kernelspec") or {}
    info = metadata.get("language_info") or {}
    name = str(spec.get("name", "") or "")
    language = str(spec.get("language", "") or info.get("name", "") or "")
    return name, language


def choose_kernel(notebook: Notebook, override: str | None = None) -> ForeignKernel | None:
    """The kernel to run ``notebook`` on: None for nbapp's own Python kernel.

    Raises KernelNotFoundError (one line naming the kernel and what is installed) when the
    kernel it needs is not installed, or is installed but its command is not there.
    """
    name, language = notebook_kernel(notebook)
    if override:
        return _by_name(notebook.path, override, "", explicit=True)
    if not name and not language:
        log.warning("%s has no kernelspec; running it with the Python kernel", notebook.path)
        return None
    if _is_python(name, language):
        return None
    if name:
        return _by_name(notebook.path, name, language, explicit=False)
    return _by_language(notebook.path, language)


def _by_name(path: Path, name: str, language: str, *, explicit: bool) -> ForeignKernel | None:
    specs = installed()
    spec = specs.get(name)
    if spec is None and _is_python(name, language):
        return None  # a Python kernelspec nobody installed here: ours runs it
    if spec is None and not explicit and language:
        same = [n for n, s in specs.items() if s.language.lower() == language.lower()]
        if same:
            log.warning(
                "%s: kernel %r is not installed; running it on %r, the installed %s kernel",
                path,
                name,
                same[0],
                language,
            )
            spec, name = specs[same[0]], same[0]
    if spec is None:
        what = f"the {language} kernel {name!r}" if language else f"the kernel {name!r}"
        where = "--kernel" if explicit else str(path)
        message = f"{where}: {what} is not installed; {_listing(specs)}"
        raise KernelNotFoundError(message)
    if _is_python(name, spec.language):
        return None
    return _foreign(path, name, spec)


def _by_language(path: Path, language: str) -> ForeignKernel:
    specs = installed()
    for name, spec in specs.items():
        if spec.language.lower() == language.lower():
            return _foreign(path, name, spec)
    raise KernelNotFoundError(
        f"{path}: needs a {language} kernel and none is installed; {_listing(specs)}"
    )


def _foreign(path: Path, name: str, spec: KernelSpec) -> ForeignKernel:
    if not spec.argv:
        raise KernelNotFoundError(f"{path}: kernel {name!r} has no command in its kernel.json")
    program = spec.argv[0]
    if shutil.which(program) is None:
        raise KernelNotFoundError(
            f"{path}: kernel {name!r} is installed ({spec.resource_dir}) but its command "
            f"{program!r} is not on this computer"
        )
    return ForeignKernel(
        name=name,
        display_name=spec.display_name or name,
        language=spec.language or "",
        argv=tuple(spec.argv),
        resource_dir=spec.resource_dir,
        interrupt_mode=spec.interrupt_mode or "signal",
        env=dict(spec.env or {}),
    )
