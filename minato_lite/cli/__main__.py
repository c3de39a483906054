"""`python -m minato_lite.cli`: the same command line as `minato-lite`."""

import sys

from . import main

sys.exit(main())
