"""Entry point of an app built by ``nbapp package``.

The kernel is this same executable re-entered with ``--nbapp-kernel`` (a Python notebook), or
an installed kernel started by this executable re-entered with ``--nbapp-supervise`` (other
languages): those flags are handled here, first, before anything heavy is imported, and never
fall through to the app (no respawn loop, no second window). ``--nbapp-check-window`` (used by
the build's smoke test) loads the web view the app was built with, without opening a window.
"""

import sys

from nbapp import startup

startup.mark("bootloader done, Python running the app's entry")

if len(sys.argv) > 1 and sys.argv[1] == "--nbapp-kernel":
    from nbapp.kernel.main import main as kernel_main

    kernel_main(sys.argv[2:])
    sys.exit(0)

if len(sys.argv) > 1 and sys.argv[1] == "--nbapp-supervise":
    # An installed (non-Python) kernel's keeper: see nbapp/kernel/supervisor.py.
    from nbapp.kernel.supervisor import main as supervise

    sys.exit(supervise(sys.argv[2:]))

if len(sys.argv) > 1 and sys.argv[1] == "--nbapp-check-window":
    from nbapp.gui.window import check_backend

    sys.exit(check_backend())

import multiprocessing

multiprocessing.freeze_support()  # a notebook's multiprocessing workers re-enter here too

from nbapp.frozen import main

sys.exit(main())
