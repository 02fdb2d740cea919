"""``python -m ui [SCENARIO] [--screenshot PNG] [--run] [--quit]`` (SPEC §12 ``meshsim gui``)."""

import sys

from ui.app import main

if __name__ == "__main__":  # the engine's worker processes import __main__ too
    sys.exit(main(sys.argv[1:]))
