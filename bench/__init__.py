"""Benchmarks: `python -m bench [catalog|planner|emulator|engine|all]` prints their figures."""
