"""``python -m conformance``: the op x backend gradient matrix."""
import sys

from .runner import main

if __name__ == "__main__":  # not again in the spawned worker processes
    sys.exit(main())
