"""`python -m benchmarks [--quick]`: what `make bench` and `make bench-quick` run."""

import sys

from benchmarks.run import main

sys.exit(main())
