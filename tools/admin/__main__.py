"""`python -m tools.admin`: the operator's command line."""

import sys

from tools.admin import main

sys.exit(main())
