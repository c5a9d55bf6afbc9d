"""One-file outputs of a run: ``nbapp export``'s HTML page and its PDF."""
