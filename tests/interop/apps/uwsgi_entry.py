"""uWSGI's entry to the sync interop app: ``uwsgi --wsgi-file uwsgi_entry.py``.

uWSGI looks for a module-level ``application``; ``create_app`` reads the
``LIVE_*`` environment variables (``LIVE_ASYNC_MODE=gevent_uwsgi``).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync_app import create_app

application = create_app()
