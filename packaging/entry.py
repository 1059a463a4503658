"""The frozen program's entry point: the window, the command line and the model host.

The model host is a multiprocessing spawn child: in the frozen program it is this same
executable started again, and freeze_support() turns that start into the host.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from grym_desktop.cli import main

    sys.exit(main())
