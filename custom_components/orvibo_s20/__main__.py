"""`python -m custom_components.orvibo_s20`: the command-line tool."""

import sys

from .cli import main

sys.exit(main())
