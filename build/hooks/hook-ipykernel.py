"""The frozen kernel: ipykernel's modules loaded by name, and its own data (resources)."""

from PyInstaller.utils.hooks import collect_data_files, collect_submodules, copy_metadata

hiddenimports = collect_submodules(
    "ipykernel", filter=lambda name: not name.startswith(("ipykernel.tests", "ipykernel.gui"))
)
datas = collect_data_files("ipykernel") + copy_metadata("ipykernel")
