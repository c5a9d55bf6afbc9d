"""Installers: a .deb installed into a minimal Debian root without Python, run there headless
and checked in Chromium, then purged without a trace; an NSIS installer compiled by makensis
and listed by 7-Zip; the portable tarball; the macOS bundle staging; the CI workflow template.

The .dmg (hdiutil) and the workflow itself cannot run here: the bundle they wrap is checked,
and the workflow's YAML and structure.
"""

from __future__ import annotations

import contextlib
import io
import os
import plistlib
import re
import select
import shutil
import signal
import stat
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import yaml
from PIL import Image
from playwright.sync_api import Page

from nbapp.errors import UsageError
from nbapp.installers import KINDS, build_installer, check_can_build
from nbapp.installers.appimage import stage_appdir
from nbapp.installers.common import check_payload, png_size
from nbapp.installers.deb import package_name
from nbapp.installers.macos import build_app_bundle
from nbapp.installers.nsis import makensis_command, numeric_version

from support import NBAPP, SERVING, wait_for, wait_state, write_notebook

REPO = Path(__file__).resolve().parent.parent
SUITE = "bookworm"
MIRROR = os.environ.get("NBAPP_TEST_DEBIAN_MIRROR", "http://deb.debian.org/debian")
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nbapp-tests"
ROOT_TARBALL = CACHE / f"debian-{SUITE}-minbase.tar"
# In /usr/sbin, which a non-login root shell's PATH may lack.
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"
DEBOOTSTRAP = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
# Paths in the Debian root that change by themselves (or hold dpkg's own bookkeeping).
VOLATILE = ("proc/", "tmp/", "root/", "var/log/", "var/cache/", "var/lib/dpkg/", "run/")

# A small widget notebook: the slider's Label is recomputed by the kernel when it moves.
WIDGET_NOTEBOOK = [
    "import ipywidgets as w\n"
    "slider = w.IntSlider(value=7, min=0, max=10, description='n')\n"
    "result = w.Label()\n"
    "result.add_class('result')\n"
    "def show(change):\n"
    "    result.value = f\"squared={change['new'] ** 2}\"\n"
    "slider.observe(show, names='value')\n"
    "show({'new': slider.value})\n"
    "w.VBox([slider, result])",
    "print('built with nbapp')",
    "from IPython.display import HTML\n"
    "HTML('<div style=\"width:300px;height:120px;background:#ff00ff\"></div>')",
]
MAGENTA = (255, 0, 255)


def _png(path: Path, size: int) -> Path:
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
    if not os.path.exists(DEBOOTSTRAP):
        pytest.fail("debootstrap is missing; `make test` installs it (Debian package debootstrap)")
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = CACHE / f"debootstrap-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        done = subprocess.run(
            [DEBOOTSTRAP, "--variant=minbase", SUITE, str(staging), MIRROR],
            env={**os.environ, "PATH": os.environ.get("PATH", "") + ":/usr/sbin:/sbin"},
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


@pytest.fixture
def debian_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh minimal Debian root without Python, with /proc mounted, to chroot into."""
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
        if not os.path.ismount(root / "proc"):  # a few hundred MB; pytest would keep it around
            shutil.rmtree(root, ignore_errors=True)


def _in_root(root: Path, *cmd: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROOT, str(root), *cmd],
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
    after = _snapshot(root)
    left, lost = after - before, before - after
    assert not left, f"files left after dpkg --purge {pkg}: {sorted(left)[:20]}"
    assert not lost, f"files the package did not own are gone after the purge: {sorted(lost)}"
    assert not list((root / "var/lib/dpkg/info").glob(f"{pkg}.*"))
    assert not list((root / "tmp").glob("nbapp-*")), "a private runtime dir was left behind"
    status = _in_root(root, "dpkg-query", "-W", "-f=${Status}", pkg)
    assert "installed" not in status.stdout.replace("not-installed", "")


def _deb_field(deb: Path, field: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "--field", str(deb), field], capture_output=True, text=True, check=True
    ).stdout.strip()


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
    assert b"prerm" not in scripts and b"postinst" not in scripts and b"preinst" not in scripts
    postrm = subprocess.run(
        ["dpkg-deb", "--info", str(deb), "postrm"], capture_output=True, text=True, check=True
    ).stdout
    assert [line for line in postrm.splitlines() if line and not line.startswith("#")] == [
        "set -e",
        "mkdir -p /opt",
    ]


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


@dataclass(frozen=True)
class Packaged:
    app: Path
    deb: Path
    tarball: Path


@pytest.fixture(scope="module")
def widget_app(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    """The widget notebook through ``nbapp package --webview qt --installer deb --installer
    tar.gz``: the self-contained Qt window build (its .deb recommends the window's system
    libraries; the default, system WebKitGTK build is in tests/test_package_window.py)."""
    folder = tmp_path_factory.mktemp("widgetapp")
    notebook = write_notebook(folder / "widgetapp.ipynb", WIDGET_NOTEBOOK)
    icon = _png(folder / "icon.png", 128)
    out = folder / "dist"
    command = [NBAPP, "package", str(notebook), "-o", str(out), "--webview", "qt"]
    command += ["--icon", str(icon), "--app-version", "0.1.0"]
    command += ["--installer", "deb", "--installer", "tar.gz"]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        # Its work folders in the test's own cache folder, not the user's.
        env={**os.environ, "XDG_CACHE_HOME": str(folder / "cache")},
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, f"nbapp package failed: {done.stdout}{done.stderr}"
    assert "installer: deb" in done.stderr and "installer: tar.gz" in done.stderr, done.stderr
    app = out / "widgetapp"
    assert (app / "widgetapp").is_file(), sorted(p.name for p in app.iterdir())
    (deb,) = out.glob("widgetapp_0.1.0_*.deb")
    (tarball,) = out.glob("widgetapp-0.1.0-linux-*.tar.gz")
    return Packaged(app, deb, tarball)


def _serving_line(proc: subprocess.Popen[str], timeout: float) -> str:
    box: list[str] = []
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    return box[0].rstrip("\n") if box else ""


@pytest.mark.browser
def test_deb_of_a_packaged_widget_notebook_runs_in_a_debian_root_without_python(
    debian_root: Path, widget_app: Packaged, page: Page
) -> None:
    deb = widget_app.deb
    _check_deb_layout(deb, "widgetapp", icon_size=128)
    recommends = _deb_field(deb, "Recommends").split(", ")
    assert {"libgl1", "libegl1", "libxcb-cursor0", "libnss3"} <= set(recommends), recommends
    # dpkg -i leaves Recommends out: the headless mode must run without the window's libraries.
    before = _snapshot(debian_root)
    _install(debian_root, deb)

    # The installed launcher, in the Debian root, with nothing of this machine's environment.
    proc = subprocess.Popen(
        [CHROOT, str(debian_root), "widgetapp", "--no-window", "--port", "0"],
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    errors: list[str] = []
    drain = threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
    drain.start()
    try:
        line = _serving_line(proc, timeout=90)
        match = SERVING.match(line)
        assert match, f"no serving line from the installed app: {line!r}; {''.join(errors)}"
        page.goto(match["url"])
        wait_state(page, "done", timeout=90)
        assert "built with nbapp" in page.inner_text("body")
        # The widget is live: moving the slider makes the kernel in the Debian root recompute.
        page.wait_for_function(
            "document.querySelector('.result')?.textContent.includes('squared=49')",
            timeout=20_000,
        )
        page.focus(".widget-slider .noUi-handle")
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "document.querySelector('.result')?.textContent.includes('squared=64')",
            timeout=20_000,
        )
        running = _processes_in(debian_root)
        assert len(running) >= 2, f"expected the app and its kernel in the root: {running}"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, "".join(errors)
        wait_for(lambda: not _processes_in(debian_root), 20, "the app and its kernel to exit")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        drain.join(10)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()

    _purge_leaves_nothing(debian_root, "widgetapp", "widgetapp", before)


@pytest.fixture
def tcp_display() -> Iterator[str]:
    """An Xvfb that also listens on TCP, so a program in the chroot (which does not see the
    host's /tmp/.X11-unix) reaches it at 127.0.0.1:N."""
    if not shutil.which("Xvfb"):
        pytest.fail("Xvfb is missing; `make test` installs xvfb")
    for number in range(600 + os.getpid() % 300, 1000):
        if Path(f"/tmp/.X{number}-lock").exists():
            continue
        read_end, write_end = os.pipe()
        server = subprocess.Popen(
            [
                "Xvfb", f":{number}", "-displayfd", str(write_end), "-noreset", "-ac",
                "-screen", "0", "1280x800x24", "-listen", "tcp",
            ],
            pass_fds=(write_end,),
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(write_end)
        ready, _, _ = select.select([read_end], [], [], 30)
        if ready and os.read(read_end, 16).decode().strip() == str(number):
            break
        os.close(read_end)
        server.kill()
        server.wait(10)
    else:
        pytest.fail("no free X display number for Xvfb")
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)
        os.close(read_end)


def _windows_named(display: str, title: str) -> str:
    return subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def _magenta_pixels(display: str) -> int:
    shot = subprocess.run(
        ["import", "-display", display, "-window", "root", "png:-"],
        capture_output=True,
        check=True,
    ).stdout
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    colours = image.getcolors(image.width * image.height) or []
    return sum(n for n, pixel in colours if pixel == MAGENTA)


def test_deb_with_its_recommends_opens_the_window_in_a_debian_root(
    debian_root: Path, widget_app: Packaged, tcp_display: str
) -> None:
    """``apt install ./app.deb`` in the minimal root brings the libraries the Qt window needs
    (from the Debian mirror), and the installed app opens its window there."""
    deb = widget_app.deb
    shutil.copy(deb, debian_root / "tmp" / deb.name)
    installing = _in_root(
        debian_root,
        "sh",
        "-c",
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
        f"apt-get install -y -qq /tmp/{deb.name}",
        timeout=900,
    )
    assert installing.returncode == 0, installing.stdout[-3000:] + installing.stderr
    assert not list((debian_root / "usr/bin").glob("python*"))
    number = tcp_display.lstrip(":")
    env = {**_clean_env(), "DISPLAY": f"127.0.0.1:{number}", "QTWEBENGINE_DISABLE_SANDBOX": "1"}
    proc = subprocess.Popen(
        [CHROOT, str(debian_root), "widgetapp", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    errors: list[str] = []
    drain = threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
    drain.start()
    try:
        line = _serving_line(proc, timeout=90)
        assert SERVING.match(line), f"no serving line: {line!r}; {''.join(errors)}"
        found = wait_for(lambda: _windows_named(tcp_display, "widgetapp"), 60, "the app's window")
        assert found, "".join(errors)
        # The notebook's magenta block, drawn by Qt WebEngine in the window (300x120 px).
        wait_for(lambda: _magenta_pixels(tcp_display) >= 300 * 120 * 0.9, 60, "the page drawn")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, "".join(errors)
        wait_for(lambda: not _processes_in(debian_root), 20, "the app and its kernel to exit")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        drain.join(10)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    assert "cannot be loaded" not in "".join(errors), "".join(errors)


def test_tarball_of_the_packaged_app_holds_exactly_its_folder(widget_app: Packaged) -> None:
    with tarfile.open(widget_app.tarball) as archive:
        names = {m.name for m in archive.getmembers()}
    on_disk = {"widgetapp/" + str(p.relative_to(widget_app.app)) for p in widget_app.app.rglob("*")}
    assert names == on_disk | {"widgetapp"}


# --- Windows: NSIS -----------------------------------------------------------------------


def test_nsis_script_compiles_into_an_installer_with_the_app_and_an_uninstaller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """makensis compiles installer/windows/nbapp.nsi; 7-Zip lists what the installer holds.

    The payload stands in for a Windows app (a Windows build makes the real one); the signing
    hook is a script that records what it was asked to sign, in place of signtool.
    """
    if shutil.which("makensis") is None or shutil.which("7z") is None:
        pytest.fail("makensis or 7z is missing; `make test` installs nsis and p7zip-full")
    app = _stand_in_app(tmp_path, "Demo", exe_suffix=".exe")
    signed = tmp_path / "signed.txt"
    signer = tmp_path / "sign.sh"
    signer.write_text(f'#!/bin/sh\necho "$1" >> {signed}\n')
    signer.chmod(0o755)
    monkeypatch.setenv("NBAPP_WINDOWS_SIGN_COMMAND", str(signer))
    icon = _png(tmp_path / "icon.png", 256)

    setup = build_installer(
        "nsis", app, name="Demo", version="2.0.1", icon=icon, out_dir=tmp_path / "out"
    )

    assert setup.name == "Demo-2.0.1-setup.exe"
    assert setup.read_bytes()[:2] == b"MZ"
    listing = subprocess.run(
        ["7z", "l", "-slt", str(setup)], capture_output=True, text=True, check=True
    ).stdout
    assert "Type = Nsis" in listing
    paths = {line[len("Path = ") :] for line in listing.splitlines() if line.startswith("Path = ")}
    paths.discard(str(setup))
    assert {"Demo.exe", "_internal/data.txt", "Uninstall.exe"} <= paths, paths
    assert not {p for p in paths if not p.startswith("$PLUGINSDIR")} - {
        "Demo.exe",
        "_internal/data.txt",
        "Uninstall.exe",
    }, "the installer holds files that are not the app's"
    # Windows' file properties and the icon, from the installer's own resources.
    subprocess.run(
        ["7z", "x", "-tPE", "-y", f"-o{tmp_path / 'pe'}", str(setup)],
        capture_output=True,
        check=True,
    )
    version = (tmp_path / "pe/.rsrc/version.txt").read_bytes().replace(b"\0", b"").decode()
    assert re.search(r"PRODUCTVERSION\s+2,0,1,0", version), version
    assert '"ProductName",       "Demo"' in version
    assert [numeric_version(v) for v in ("1.2.3-rc1", "2024.10", "1.2.3.4.5", "7")] == [
        "1.2.3.0",
        "2024.10.0.0",
        "1.2.3.4",
        "7.0.0.0",
    ]
    icons = [p.read_bytes() for p in (tmp_path / "pe/.rsrc/ICON").iterdir()]
    assert icon.read_bytes() in icons, "the app's icon is not the installer's"
    # Signing hook: the app's exe before packing, then makensis on the uninstaller and installer.
    jobs = signed.read_text().splitlines()
    assert jobs[0] == str(app / "Demo.exe")
    assert len(jobs) == 3 and jobs[-1] == str(setup), jobs


WINE64 = shutil.which("wine64") or "/usr/lib/wine/wine64"  # Debian's wine64 keeps it there
WINESERVER = shutil.which("wineserver") or "/usr/lib/wine/wineserver"


def test_nsis_installer_installs_start_menu_entry_and_uninstalls_clean_under_wine(
    tmp_path: Path,
) -> None:
    """The same script compiled for amd64 (Debian's wine64 runs 64-bit programs only; NSIS for
    Windows defaults to x86), installed silently and uninstalled under wine, without a display.
    """
    if not os.path.exists(WINE64):
        pytest.fail("wine64 is missing; `make test` installs it (Debian package wine64)")
    app = _stand_in_app(tmp_path, "Demo", exe_suffix=".exe")
    payload = check_payload(app, "Demo", "2.0.1", None, tmp_path / "out", windows=True)
    setup = tmp_path / "out" / "Demo-amd64-setup.exe"
    command = makensis_command(payload, setup, None)
    subprocess.run([*command[:-1], "-DTARGET=amd64-unicode", command[-1]], check=True)
    prefix = tmp_path / "wineprefix"
    env = {**_clean_env(), "WINEPREFIX": str(prefix), "WINEDEBUG": "-all", "DISPLAY": ""}
    env["WINEDLLOVERRIDES"] = "mscoree,mshtml="  # no Mono or Gecko set-up prompts

    def wine(*args: str) -> None:
        subprocess.run([WINE64, *args], env=env, capture_output=True, timeout=180, check=True)
        subprocess.run([WINESERVER, "-w"], env=env, timeout=180, check=True)

    try:
        wine(str(setup), "/S")
        (user,) = (prefix / "drive_c/users").glob("[!P]*")  # skip "Public"
        installed = user / "AppData/Local/Programs/Demo"
        shortcut = user / "AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Demo.lnk"
        assert (installed / "Demo.exe").read_bytes() == (app / "Demo.exe").read_bytes()
        assert (installed / "_internal/data.txt").read_text() == "payload\n"
        assert (installed / "Uninstall.exe").read_bytes()[:2] == b"MZ"
        assert shortcut.is_file()
        link = shortcut.read_bytes()
        assert (
            link[:4] == b"L\x00\x00\x00" and "Demo.exe".encode("utf-16-le") in link
        )  # .lnk to the app
        registry = (prefix / "user.reg").read_text(encoding="utf-8", errors="replace")
        key = registry.split("CurrentVersion\\\\Uninstall\\\\Demo]", 1)[1].split("\n\n")[0]
        assert '"DisplayName"="Demo"' in key and '"DisplayVersion"="2.0.1"' in key
        assert "Uninstall.exe" in key

        windows_path = "C:\\users\\" + user.name + "\\AppData\\Local\\Programs\\Demo"
        wine(windows_path + "\\Uninstall.exe", "/S")
        assert not installed.exists(), sorted(installed.rglob("*"))
        assert not shortcut.exists()
        registry = (prefix / "user.reg").read_text(encoding="utf-8", errors="replace")
        assert "Uninstall\\\\Demo]" not in registry
    finally:
        subprocess.run([WINESERVER, "-k"], env=env, capture_output=True, check=False)


def test_nsis_without_a_windows_app_or_makensis_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    linux_app = _stand_in_app(tmp_path, "Demo")
    with pytest.raises(UsageError, match=r"no executable Demo\.exe .*Windows"):
        build_installer(
            "nsis", linux_app, name="Demo", version="1.0", icon=None, out_dir=tmp_path / "o"
        )
    windows_app = _stand_in_app(tmp_path / "win", "Demo", exe_suffix=".exe")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(UsageError, match=r"needs makensis: install NSIS") as raised:
        build_installer(
            "nsis", windows_app, name="Demo", version="1.0", icon=None, out_dir=tmp_path / "o"
        )
    assert "\n" not in raised.value.message and raised.value.exit_code == 2


# --- Linux: the portable tarball, kinds this machine cannot build ------------------------


def test_tarball_holds_the_app_folder_owned_by_root_and_runs_after_unpacking(
    tmp_path: Path,
) -> None:
    app = _stand_in_app(tmp_path, "tool")
    tarball = build_installer(
        "tar.gz", app, name="tool", version="0.3", icon=None, out_dir=tmp_path / "out"
    )
    assert re.fullmatch(r"tool-0\.3-linux-[a-z0-9]+\.tar\.gz", tarball.name)
    with tarfile.open(tarball) as archive:
        members = {m.name: m for m in archive.getmembers()}
        assert set(members) == {"tool", "tool/tool", "tool/_internal", "tool/_internal/data.txt"}
        assert all(m.uid == 0 and m.uname == "root" for m in members.values())
        assert (
            members["tool/tool"].mode == 0o755 and members["tool/_internal/data.txt"].mode == 0o644
        )
        archive.extractall(tmp_path / "unpacked", filter="tar")
    ran = subprocess.run(
        [str(tmp_path / "unpacked/tool/tool"), "--port", "0"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert ran.stdout == "stand-in app ran with: --port 0\n"


def test_kinds_this_machine_cannot_build_name_what_is_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert set(KINDS) == {"deb", "tar.gz", "appimage", "nsis", "dmg"}
    app = _stand_in_app(tmp_path, "app1")
    common = {"name": "app1", "version": "1.0", "icon": None, "out_dir": tmp_path / "out"}
    with pytest.raises(UsageError, match=r"dmg packs a macos app: build it on macos"):
        build_installer("dmg", app, **common)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"unknown installer 'msi' \(choose from deb, tar.gz"):
        build_installer("msi", app, **common)  # type: ignore[arg-type]
    # Before a build: what this (Linux) machine can wrap the app it builds as.
    check_can_build("deb")
    check_can_build("tar.gz")
    with pytest.raises(UsageError, match=r"nsis packs a windows app: build it on windows"):
        check_can_build("nsis")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(UsageError, match=r"deb needs dpkg-deb"):
        check_can_build("deb")
    with pytest.raises(UsageError, match=r"appimage needs appimagetool: download it from"):
        build_installer("appimage", app, **common)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"deb needs dpkg-deb"):
        build_installer("deb", app, **common)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"version 'v1' must start with a digit"):
        build_installer("tar.gz", app, **{**common, "version": "v1"})  # type: ignore[arg-type]


def test_appimage_appdir_runs_the_app_through_apprun(tmp_path: Path) -> None:
    """appimagetool is not available here (see installers/appimage.py); its input is checked."""
    app = _stand_in_app(tmp_path, "tool")
    payload = check_payload(
        app, "tool", "1.0", _png(tmp_path / "icon.png", 48), tmp_path / "out", windows=False
    )
    appdir = stage_appdir(payload, tmp_path / "tool.AppDir")
    assert (appdir / ".DirIcon").resolve() == (appdir / "tool.png").resolve()
    assert png_size(appdir / "tool.png") == (48, 48)
    check = subprocess.run(
        ["desktop-file-validate", str(appdir / "tool.desktop")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    ran = subprocess.run(
        [str(appdir / "AppRun"), "--no-window"], capture_output=True, text=True, check=True
    )
    assert ran.stdout == "stand-in app ran with: --no-window\n"


def test_package_refuses_an_installer_this_machine_cannot_build_before_building(
    tmp_path: Path,
) -> None:
    notebook = write_notebook(tmp_path / "nb.ipynb", ["1 + 1"])
    for kind, problem in (
        ("dmg", "--installer dmg packs a macos app: build it on macos"),
        ("nsis", "--installer nsis packs a windows app: build it on windows"),
        ("msi", "--installer msi: unknown kind"),
    ):
        done = subprocess.run(
            [NBAPP, "package", str(notebook), "-o", str(tmp_path / "out"), "--installer", kind],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(f"nbapp: error: {problem}"), done.stderr
        assert done.stderr.count("\n") == 1, done.stderr
        assert not (tmp_path / "out").exists()


# --- macOS: the .app bundle the .dmg wraps -----------------------------------------------


def test_macos_bundle_has_info_plist_executable_and_icon(tmp_path: Path) -> None:
    """hdiutil and codesign exist only on macOS; the bundle they wrap is made and checked here."""
    app = _stand_in_app(tmp_path, "Viewer")
    payload = check_payload(
        app, "Viewer", "3.1.4", _png(tmp_path / "icon.png", 512), tmp_path / "out", windows=False
    )
    bundle = build_app_bundle(payload, tmp_path / "staging")
    assert bundle.name == "Viewer.app"
    info = plistlib.loads((bundle / "Contents/Info.plist").read_bytes())
    assert info["CFBundleExecutable"] == "Viewer"
    assert info["CFBundleShortVersionString"] == info["CFBundleVersion"] == "3.1.4"
    assert info["CFBundleIdentifier"] == "org.nbapp.viewer"
    assert info["CFBundlePackageType"] == "APPL"
    assert info["NSAppTransportSecurity"] == {"NSAllowsLocalNetworking": True}
    exe = bundle / "Contents/MacOS/Viewer"
    assert exe.stat().st_mode & stat.S_IXUSR
    assert (bundle / "Contents/MacOS/_internal/data.txt").is_file()
    icns = (bundle / "Contents/Resources" / info["CFBundleIconFile"]).read_bytes()
    assert icns[:4] == b"icns" and int.from_bytes(icns[4:8], "big") == len(icns)
    assert icns[8:12] == b"ic09" and icns[16:24] == b"\x89PNG\r\n\x1a\n"  # 512 px PNG entry
    dmg_script = REPO / "installer/macos/make-dmg.sh"
    assert subprocess.run(["sh", "-n", str(dmg_script)], check=False).returncode == 0
    assert "hdiutil create" in dmg_script.read_text()


# --- the CI workflow template ------------------------------------------------------------


def test_github_workflow_template_builds_on_three_platforms() -> None:
    """The workflow cannot run here: its YAML and structure are checked."""
    workflow = yaml.safe_load((REPO / "installer/github-workflow.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert {"push", "workflow_dispatch"} <= set(triggers)
    job = workflow["jobs"]["build"]
    include = job["strategy"]["matrix"]["include"]
    by_os = {entry["os"].split("-")[0]: entry for entry in include}
    assert set(by_os) == {"ubuntu", "windows", "macos"}
    assert set(by_os["ubuntu"]["installers"].split()) == {"deb", "tar.gz"}
    assert by_os["windows"]["installers"] == "nsis" and by_os["macos"]["installers"] == "dmg"
    assert job["runs-on"] == "${{ matrix.os }}"
    steps = job["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    assert uses[:2] == ["actions/checkout", "actions/setup-python"]
    assert "actions/upload-artifact" in uses
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "nbapp package" in runs and "--installer" in runs and "--app-version" in runs
    assert 'pip install "$NBAPP"' in runs and workflow["env"]["NBAPP"] == "nbapp[package]"
    for step in steps:
        assert set(step) <= {"name", "uses", "with", "run", "shell", "if", "env"}, step
    signing_env = next(step for step in steps if "nbapp package" in step.get("run", ""))["env"]
    assert {"NBAPP_CODESIGN_IDENTITY", "NBAPP_WINDOWS_SIGN_COMMAND"} <= set(signing_env)
