#!/usr/bin/env python3
"""Run a command and print its wall time and peak RSS (MiB) on stderr."""
import resource, subprocess, sys, time
t = time.time()
rc = subprocess.run(sys.argv[1:]).returncode
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"wall {time.time()-t:.2f}s peak-rss {ru.ru_maxrss/1024:.1f}MiB exit {rc}", file=sys.stderr)
sys.exit(0)
