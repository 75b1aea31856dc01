"""The worker process of the sweep: runs the calls it is sent, one at a time.

Reads one JSON job a line on stdin (``{"name": ..., "libraries": [...]}``) and writes one
JSON message a line for each finished step (``reference``, then each library, then
``done``), so that the parent (``sweep.py``) can kill it on a hang and lose only the step
that hung. Anything the called code prints goes to stderr, never into the messages.
"""
from __future__ import annotations

import json
import os
import sys


def main(argv=None) -> int:
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--libraries", default="arraygrad")
    p.add_argument("--backend", default=None)
    args = p.parse_args(argv)

    # The messages go to a private copy of stdout; fd 1 itself now points at stderr.
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    from .population import enable_scipy_array_api
    enable_scipy_array_api()
    import warnings
    warnings.simplefilter("ignore")
    from . import check, libraries, population

    def send(**msg):
        channel.write(json.dumps(msg, default=str) + "\n")
        channel.flush()

    NP = libraries.make("numpy")
    libs = {}
    for name in args.libraries.split(","):
        libs[name] = libraries.make(name, args.backend if name == "arraygrad" else None)
    calls = {c.name: c for c in population.population()}
    send(kind="ready", count=len(calls))
    for line in sys.stdin:
        job = json.loads(line)
        call = calls.get(job["name"])
        if call is None:
            send(kind="done", name=job["name"], error="unknown call")
            continue
        chosen = [libs[n] for n in job["libraries"]]
        check.check(call, chosen, NP,
                    report=lambda kind, payload: send(kind=kind, name=call.name,
                                                      payload=payload))
        send(kind="done", name=call.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
