"""`python -m mobile_agent` = the `mobile-agent` command."""

import sys

from mobile_agent.cli import main

sys.exit(main())
