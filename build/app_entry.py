"""Entry point of an app built by ``nbapp package``.

The kernel is this same executable re-entered with ``--nbapp-kernel`` (a Python notebook), or
an installed kernel started by this executable re-entered with ``--nbapp-supervise`` (other
languages): those flags are handled here, first, before anything heavy is imported, and never
fall through to the app (no respawn loop, no second window).
"""

import sys

if len(sys.argv) > 1 and sys.argv[1] == "--nbapp-kernel":
    from nbapp.kernel_main import main as kernel_main

    kernel_main(sys.argv[2:])
    sys.exit(0)

if len(sys.argv) > 1 and sys.argv[1] == "--nbapp-supervise":
    # An installed (non-Python) kernel's keeper: see nbapp/supervisor.py.
    from nbapp.supervisor import main as supervise

    sys.exit(supervise(sys.argv[2:]))

import multiprocessing

multiprocessing.freeze_support()  # a notebook's multiprocessing workers re-enter here too

from nbapp.frozen import main

sys.exit(main())
