"""``python -m conformance``: the op x backend gradient matrix."""
import sys

from .runner import main

sys.exit(main())
