"""Running the population with a time limit per step.

Calls run in worker processes (``worker.py``, ``--jobs`` of them). Each step of a call
has its own limit: the NumPy reference with its finite differences ``REFERENCE_FACTOR``
times ``--timeout`` (it runs the call 2n+1 times for n input elements), each library
``--timeout`` seconds (default 20). A worker past its limit is killed (by its process id)
and replaced; the step is recorded as an error ("timed out") and the call's remaining
libraries are sent to the new worker.
"""
from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from collections import deque

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERENCE_FACTOR = 6
STARTUP_LIMIT = 300.0


class Worker:
    def __init__(self, libraries: list, backend: str | None, log):
        cmd = [sys.executable, "-m", "conformance.clients.worker",
               "--libraries", ",".join(libraries)]
        if backend:
            cmd += ["--backend", backend]
        env = dict(os.environ, SCIPY_ARRAY_API="1",
                   PYTHONPATH=os.pathsep.join(
                       p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=log or subprocess.DEVNULL)
        self.buf = b""
        self.ready = False
        self.job = None              # (name, [libraries still to run])
        self.got_reference = False
        self.deadline = time.monotonic() + STARTUP_LIMIT

    def send(self, name: str, libs: list, limit: float):
        self.job = (name, list(libs))
        self.got_reference = False
        self.deadline = time.monotonic() + limit
        self.proc.stdin.write((json.dumps({"name": name, "libraries": libs}) + "\n").encode())
        self.proc.stdin.flush()

    def messages(self):
        chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
        if not chunk:
            return None               # end of file: the worker died
        self.buf += chunk
        *lines, self.buf = self.buf.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]

    def kill(self):
        try:
            self.proc.kill()          # this process only, by its id
            self.proc.wait(timeout=10)
        except Exception:
            pass


def run(calls, libraries: list, backend=None, jobs=1, timeout=20.0, progress=None,
        log=None) -> dict:
    """``{name: {"reference": {...}, lib: {...}}}`` for every call."""
    results = {c.name: {} for c in calls}
    pending = deque((c.name, list(libraries)) for c in calls)
    sel = selectors.DefaultSelector()
    workers = []
    failures = 0

    def start():
        w = Worker(libraries, backend, log)
        sel.register(w.proc.stdout, selectors.EVENT_READ, w)
        workers.append(w)

    def retire(w, why: str):
        """The worker hung or died: record the step it was on, re-queue the rest."""
        nonlocal failures
        sel.unregister(w.proc.stdout)
        workers.remove(w)
        w.kill()
        if w.job is None:
            failures += 1
            if failures > 3:
                raise RuntimeError("the sweep's worker process fails to start")
        else:
            name, remaining = w.job
            if not w.got_reference:
                results[name]["reference"] = {"status": "harness",
                                              "detail": f"reference {why}"}
                for lib in remaining:
                    results[name][lib] = {"status": "error",
                                          "detail": f"harness: numpy reference {why}"}
            elif remaining:
                results[name][remaining[0]] = {"status": "error", "detail": why}
                if remaining[1:]:
                    pending.appendleft((name, remaining[1:]))
            if progress and not any(n == name for n, _ in pending):
                progress(name, results[name])
        if pending or any(x.job for x in workers):
            start()

    for _ in range(max(1, min(jobs, len(calls)))):
        start()
    try:
        while pending or any(w.job for w in workers):
            for w in list(workers):
                if w.ready and w.job is None and pending:
                    name, libs = pending.popleft()
                    w.send(name, libs, timeout * REFERENCE_FACTOR)
            now = time.monotonic()
            wait = max(0.05, min((w.deadline for w in workers), default=now + 1) - now)
            for key, _ in sel.select(timeout=wait):
                w = key.data
                msgs = w.messages()
                if msgs is None:
                    retire(w, "crashed (worker process died)")
                    continue
                for m in msgs:
                    kind = m["kind"]
                    if kind == "ready":
                        w.ready = True
                    elif kind == "reference":
                        results[m["name"]]["reference"] = m["payload"]
                        w.got_reference = True
                        w.deadline = time.monotonic() + timeout
                    elif kind == "done":
                        name = w.job[0] if w.job else m["name"]
                        w.job = None
                        w.deadline = time.monotonic() + 3600
                        if progress:
                            progress(name, results[name])
                    else:
                        results[m["name"]][kind] = m["payload"]
                        if w.job and kind in w.job[1]:
                            w.job[1].remove(kind)
                        w.deadline = time.monotonic() + timeout
            now = time.monotonic()
            for w in list(workers):
                if now > w.deadline and (w.job is not None or not w.ready):
                    limit = timeout * (REFERENCE_FACTOR if not w.got_reference else 1)
                    retire(w, f"timed out after {limit:.0f} s" if w.job else "startup")
    finally:
        for w in list(workers):
            try:
                w.proc.stdin.close()
            except Exception:
                pass
            w.kill()
    return results
