"""Resident memory (RSS) per service process: a background sampler used by bench/pipeline_throughput.py.

Reads ``VmRSS`` from ``/proc/<pid>/status`` of each process and of its children (a uvicorn with workers), every
``interval`` seconds, and keeps the first sample (the baseline: the process just started and ready) and the peak.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


def rss_kib(pid: int) -> int:
    """RSS of ``pid`` and its descendants in KiB; 0 if it is gone."""
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (FileNotFoundError, PermissionError):
        return found
    for child in map(int, children):
        found += [child, *descendants(child)]
    return found


@dataclass
class RssSampler:
    pids: dict[str, int]
    interval: float = 0.25
    first: dict[str, int] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def watch(self, name: str, pid: int) -> None:
        """Sample ``pid`` too from now on. The mapping is replaced, never changed in place: the sampler thread may be
        iterating the previous one (an insert under it raised and ended the thread, and every later peak was lost)."""
        self.pids = {**self.pids, name: pid}

    def sample(self) -> None:
        for name, pid in self.pids.items():
            value = rss_kib(pid)
            if value:
                self.first.setdefault(name, value)
                self.peak[name] = max(self.peak.get(name, 0), value)

    def start(self) -> RssSampler:
        self.sample()

        def loop() -> None:
            while not self._stop.wait(self.interval):
                self.sample()

        self._thread = threading.Thread(target=loop, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.sample()


if __name__ == "__main__":
    import sys

    pids = {arg: int(arg) for arg in sys.argv[1:]}
    sampler = RssSampler(pids).start()
    time.sleep(2)
    sampler.stop()
    for name in pids:
        first, peak = sampler.first.get(name, 0) / 1024, sampler.peak.get(name, 0) / 1024
        print(f"{name}: first {first:.0f} MiB, peak {peak:.0f} MiB")
