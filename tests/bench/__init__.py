"""Benchmarks run by `make bench`: each module of this package with a `main()` is one."""
