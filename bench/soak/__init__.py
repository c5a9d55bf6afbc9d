"""`make soak`: how much nbapp takes, as figures (docs/reliability.md).

Page loads and reloads, a widget storm from the page, and a long idle-plus-activity run
sampling memory and open file descriptors, for `nbapp run` and for a packaged app. Everything
is bounded in requests and time and talks to 127.0.0.1 only. `--quick` is the short version
`make test` runs so the harness cannot rot.
"""
