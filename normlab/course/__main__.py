"""`python -m normlab.course DIR`: the `normlab course DIR` command."""

import sys

from normlab.course.cli import main

sys.exit(main(["course", *sys.argv[1:]]))
