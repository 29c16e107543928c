"""Entry point for `flask` (FLASK_APP=coordapp.wsgi) and WSGI servers.

A configuration problem ends the process with one clear line instead of a traceback.
"""

from __future__ import annotations

import sys

from coordapp import ConfigError, create_app

try:
    app = create_app()
except ConfigError as error:
    sys.exit(f"coordapp cannot start: {error}")
