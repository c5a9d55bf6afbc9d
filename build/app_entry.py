"""Entry point of an app built by ``nbapp package``.

The kernel is this same executable re-entered with ``--nbapp-kernel``: that flag is handled
here, first, before anything heavy is imported, and never falls through to the app (no
respawn loop, no second window).
"""

import sys

if len(sys.argv) > 1 and sys.argv[1] == "--nbapp-kernel":
    from nbapp.kernel_main import main as kernel_main

    kernel_main(sys.argv[2:])
    sys.exit(0)

import multiprocessing

multiprocessing.freeze_support()  # a notebook's multiprocessing workers re-enter here too

from nbapp.frozen import main

sys.exit(main())
