"""Benchmarks: `python -m bench [emulator|engine|planner|all]` prints their figures."""
