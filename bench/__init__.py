"""Benchmarks, run by ``make bench``. Each prints ratios against a baseline measured in the
same run, never absolute times: this machine is shared and noisy."""
