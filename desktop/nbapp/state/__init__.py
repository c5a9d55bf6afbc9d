"""What an app keeps between launches: widget values, snapshots, its window, its files."""
