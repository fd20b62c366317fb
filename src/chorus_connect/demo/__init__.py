"""The main job as a demo: the embedded simulator, a new store, the bundled sample invoices imported,
checked, deposited and followed to their end by advancing the simulated clock, then a summary and an
HTML report. ``chorus demo`` runs it; :func:`chorus_connect.demo.runner.run_demo` from Python."""

from chorus_connect.demo.runner import DemoError, DemoOptions, DemoOutput, DemoResult, run_demo

__all__ = ["DemoError", "DemoOptions", "DemoOutput", "DemoResult", "run_demo"]
