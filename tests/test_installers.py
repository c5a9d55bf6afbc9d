"""Installers: a .deb installed into a minimal Debian root without Python, run there headless
and checked in Chromium, then purged without a trace; an NSIS installer compiled by makensis
and listed by 7-Zip; the portable tarball; the macOS bundle staging; the CI workflow template.

The .dmg (hdiutil) and the workflow itself cannot run here: the bundle they wrap is checked,
and the workflow's YAML and structure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from nbapp.installers import build_installer
from nbapp.installers.deb import package_name

REPO = Path(__file__).resolve().parent.parent
SUITE = "bookworm"
MIRROR = os.environ.get("NBAPP_TEST_DEBIAN_MIRROR", "http://deb.debian.org/debian")
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nbapp-tests"
ROOT_TARBALL = CACHE / f"debian-{SUITE}-minbase.tar"
# Paths in the Debian root that change by themselves (or hold dpkg's own bookkeeping).
VOLATILE = ("proc/", "tmp/", "root/", "var/log/", "var/cache/", "var/lib/dpkg/", "run/")

WIDGET_NOTEBOOK = [
    "import ipywidgets as w\nslider = w.IntSlider(value=7, min=0, max=10, description='n')\nslider",
    "print('squared', slider.value ** 2)",
]


def _png(path: Path, size: int) -> Path:
    from PIL import Image

    Image.new("RGBA", (size, size), (30, 120, 200, 255)).save(path)
    return path


def _stand_in_app(folder: Path, name: str, exe_suffix: str = "") -> Path:
    """A one-folder app whose executable is a shell script: for what does not need Python."""
    app = folder / name
    (app / "_internal").mkdir(parents=True)
    (app / "_internal" / "data.txt").write_text("payload\n")
    exe = app / f"{name}{exe_suffix}"
    exe.write_text('#!/bin/sh\necho "stand-in app ran with: $*"\n')
    exe.chmod(0o755)
    return app


# --- the Debian root ---------------------------------------------------------------------


def _make_root_tarball() -> None:
    """debootstrap --variant=minbase once; later runs unpack the cached tarball (seconds)."""
    if shutil.which("debootstrap") is None:
        pytest.fail("debootstrap is missing; `make test` installs it (Debian package debootstrap)")
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = CACHE / f"debootstrap-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        done = subprocess.run(
            ["debootstrap", "--variant=minbase", SUITE, str(staging), MIRROR],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == 0, f"debootstrap failed: {done.stdout[-2000:]}{done.stderr}"
        partial = ROOT_TARBALL.with_suffix(".partial")
        subprocess.run(["tar", "-C", str(staging), "-cf", str(partial), "."], check=True)
        partial.rename(ROOT_TARBALL)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@pytest.fixture(scope="module")
def debian_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A minimal Debian root without Python, with /proc mounted, to chroot into."""
    if os.geteuid() != 0:
        pytest.skip("debootstrap and chroot need root (the project's machines and CI run as root)")
    if not ROOT_TARBALL.is_file():
        _make_root_tarball()
    root = tmp_path_factory.mktemp("debian") / "root"
    root.mkdir()
    subprocess.run(["tar", "-C", str(root), "-xpf", str(ROOT_TARBALL)], check=True)
    assert not list((root / "usr/bin").glob("python*")), "the Debian root must not have Python"
    subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)
    try:
        yield root
    finally:
        for proc in _processes_in(root):
            with contextlib.suppress(psutil.Error):
                proc.kill()
        subprocess.run(["umount", "-l", str(root / "proc")], check=False)


def _in_root(root: Path, *cmd: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["chroot", str(root), *cmd],
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _clean_env() -> dict[str, str]:
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}


def _processes_in(root: Path) -> list[psutil.Process]:
    """Processes whose root directory is the chroot."""
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(OSError, psutil.Error):
            if os.readlink(f"/proc/{proc.pid}/root") == str(root):
                found.append(proc)
    return found


def _snapshot(root: Path) -> set[str]:
    """Every path in the root outside the volatile places."""
    paths = set()
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if rel != "." and (rel + "/").startswith(VOLATILE):
            dirnames[:] = []
            continue
        for entry in dirnames + filenames:
            paths.add(os.path.normpath(os.path.join(rel, entry)))
    return paths


def _install(root: Path, deb: Path) -> None:
    shutil.copy(deb, root / "tmp" / deb.name)
    done = _in_root(root, "dpkg", "-i", f"/tmp/{deb.name}")
    assert done.returncode == 0, f"dpkg -i failed: {done.stdout}{done.stderr}"
    (root / "tmp" / deb.name).unlink()


def _purge_leaves_nothing(root: Path, pkg: str, name: str, before: set[str]) -> None:
    done = _in_root(root, "dpkg", "--purge", pkg)
    assert done.returncode == 0, f"dpkg --purge failed: {done.stdout}{done.stderr}"
    left = _snapshot(root) - before
    assert not left, f"files left after dpkg --purge {pkg}: {sorted(left)[:20]}"
    assert not list((root / "var/lib/dpkg/info").glob(f"{pkg}.*"))
    assert not list((root / "tmp").glob("nbapp-*")), "a private runtime dir was left behind"
    status = _in_root(root, "dpkg-query", "-W", "-f=${Status}", pkg)
    assert "installed" not in status.stdout.replace("not-installed", "")


def _check_deb_layout(deb: Path, name: str, *, icon_size: int) -> None:
    contents = subprocess.run(
        ["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    lines = contents.splitlines()
    assert all(" root/root " in line for line in lines), "files must belong to root"
    paths = {line.split()[-1] if "->" not in line else line.split()[-3] for line in lines}
    for expected in (
        f"./opt/{name}/{name}",
        f"./opt/{name}/_internal/",
        f"./usr/bin/{name}",
        f"./usr/share/applications/{name}.desktop",
        f"./usr/share/icons/hicolor/{icon_size}x{icon_size}/apps/{name}.png",
    ):
        assert expected in paths, f"{expected} missing from the .deb: {sorted(paths)[:30]}"
    fields = subprocess.run(
        ["dpkg-deb", "--field", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    assert f"Package: {package_name(name)}\n" in fields
    assert "Depends: libc6\n" in fields  # no Python: the app brings its own
    scripts = subprocess.run(
        ["dpkg-deb", "--ctrl-tarfile", str(deb)], capture_output=True, check=True
    ).stdout
    assert b"postrm" not in scripts and b"prerm" not in scripts  # nothing to undo by hand


# --- the .deb ----------------------------------------------------------------------------


def test_deb_of_a_stand_in_app_installs_runs_and_purges_clean(
    debian_root: Path, tmp_path: Path
) -> None:
    name = "Stand_In"
    app = _stand_in_app(tmp_path, name)
    icon = _png(tmp_path / "icon.png", 64)
    deb = build_installer(
        "deb", app, name=name, version="1.2.3", icon=icon, out_dir=tmp_path / "out"
    )
    assert deb.name == f"stand-in_1.2.3_{deb.name.split('_')[-1]}"
    _check_deb_layout(deb, name, icon_size=64)
    unpacked = tmp_path / "unpacked"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
    desktop = unpacked / f"usr/share/applications/{name}.desktop"
    assert "\nExec=Stand_In\n" in desktop.read_text() and "\nIcon=Stand_In\n" in desktop.read_text()
    check = subprocess.run(
        ["desktop-file-validate", str(desktop)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr

    before = _snapshot(debian_root)
    _install(debian_root, deb)
    ran = _in_root(debian_root, name, "--no-window", "--port", "0")
    assert ran.stdout == "stand-in app ran with: --no-window --port 0\n", ran.stderr
    assert (
        _in_root(debian_root, "sh", "-c", f"command -v {name}").stdout.strip() == f"/usr/bin/{name}"
    )
    _purge_leaves_nothing(debian_root, package_name(name), name, before)
