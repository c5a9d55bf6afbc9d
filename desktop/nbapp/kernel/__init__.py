"""The private kernel: starting it, supervising installed kernels, running cells on it."""
