"""jupyter_client finds its kernel provisioners through entry points: keep its metadata."""

from PyInstaller.utils.hooks import collect_submodules, copy_metadata

datas = copy_metadata("jupyter_client")
hiddenimports = collect_submodules("jupyter_client.provisioning")
