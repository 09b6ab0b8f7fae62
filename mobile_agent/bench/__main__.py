"""`python -m mobile_agent.bench [bench|demo] [options]`."""

import sys

from mobile_agent.bench.cli import main

sys.exit(main())
