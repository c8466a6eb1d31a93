"""Wall time of a command, for the benchmark scripts.

subprocess.run(timeout=...) waits by polling with sleeps that grow to 50 ms,
so a run is only seen to end on that grid: a 150 ms flood measured as 165
or 215 ms. Here the wait blocks in waitpid and a timer enforces the limit.
"""
import subprocess
import threading
import time


def run(argv, limit=480.0):
    """Run argv with its output discarded; return its wall time in seconds
    (the limit, or a little more, if it had to be killed)."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    timer = threading.Timer(limit, p.kill)
    timer.start()
    try:
        p.wait()
    finally:
        timer.cancel()
    return time.perf_counter() - t
