"""The web app: public aggregate pages with JSON twins, and signed-in record-level pages.

``create_app(Settings.from_workspace(...))`` builds it; ``carecast serve`` runs it.
"""

from carecast.web.app import create_app
from carecast.web.settings import Settings

__all__ = ["Settings", "create_app"]
