"""``python -m benchmarks``: the thread count goes into the environment before any
array library is imported (their pools read it once, at import)."""
import sys

from . import threads

threads.apply_environment(threads.from_argv(sys.argv[1:]))

from .runner import main  # noqa: E402  (imports the array libraries)

sys.exit(main())
