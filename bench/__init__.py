"""Load and latency benchmarks (not part of the test run): ``python -m bench --help``."""
