"""The machine a benchmark ran on, for the line above its tables."""

import contextlib
import os

from threadpoolctl import threadpool_info


def machine():
    """The processor's model, its cores, and the BLAS libraries' kernels and
    threads."""
    model = "unknown processor"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo
                      if line.startswith("model name")), model)
    blas = sorted({f"{info['internal_api']} {info['version']} "
                   f"{info.get('architecture', '')}, {info['num_threads']} threads"
                   for info in threadpool_info() if info["user_api"] == "blas"})
    return f"{model}, {os.cpu_count()} cores; BLAS: {'; '.join(blas)}"
