"""The frozen build's entry point. Named unlike the package: PyInstaller mistakes an entry script called
``tjv_desktop.py`` for the package and silently builds an app without it."""

import sys

from tjv_desktop.app.cli import main

if __name__ == "__main__":
    sys.exit(main())
