"""Jobs for the worker-shutdown test, importable by a worker started as a subprocess."""

import time
from pathlib import Path


def write_after(folder: str, seconds: float) -> str:
    """Mark the start, work for `seconds`, then mark the end."""
    Path(folder, "started").write_text("yes")
    time.sleep(seconds)
    Path(folder, "finished").write_text("yes")
    return "done"
