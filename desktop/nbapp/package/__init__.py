"""``nbapp package``: a notebook in, a self-contained desktop app out.

Stages: discover (run the notebook once, record what it used), freeze (PyInstaller with the
recipe in the repo's ``build/``), trim (drop what the app never loads), smoke test (start the
built app headless and compare its outputs with the build-time run).
"""
