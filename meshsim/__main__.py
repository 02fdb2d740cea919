"""``python -m meshsim`` is the ``meshsim`` command."""

import sys

from meshsim.cli import main

sys.exit(main())
