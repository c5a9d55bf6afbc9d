from __future__ import annotations

from nbapp.cli import main

raise SystemExit(main())
