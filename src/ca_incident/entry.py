"""The ``ca-incident`` program: signals first, then the command line.

Ctrl-C while the libraries load, SIGTERM (``timeout``, a CI runner) and SIGHUP (a closed
terminal) all end the program through the normal exit path, so temporary copies of standard
input are removed and no traceback is printed.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _terminate)
    try:
        from ca_incident.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    run()
