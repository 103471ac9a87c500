"""`python -m kerasnb`: the `kerasnb` command without its console script."""

import sys

from kerasnb.cli import main

sys.exit(main())
