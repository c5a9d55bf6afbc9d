"""Benchmark harness: nbapp against Voilà on the same notebooks, in one run, in Chromium.

Run it with ``make bench`` (full run, writes docs/benchmarks.md) or ``make bench-quick``
(few repetitions, writes to a temporary path; CI runs it so the harness cannot rot).
"""
