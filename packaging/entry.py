"""The frozen app's entry point: `simfinder` with the command line of simfinder.cli."""

import os
import sys

# A windowed program (simfinder.exe on Windows, the app started from a menu) may have no
# standard streams: give the app somewhere harmless to write its messages.
if sys.stdout is None:
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115
if sys.stderr is None:
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115

from simfinder.cli import main

raise SystemExit(main())
