"""``kiln host``: many kiln apps served from one process, deployed as bundles through a control API.

- :mod:`kiln.hosting.host`: the ASGI app that picks a project by its ``Host`` header;
- :mod:`kiln.hosting.api`: the control API under ``/_host/``;
- :mod:`kiln.hosting.projects`: the project folders and their running apps;
- :mod:`kiln.hosting.bundles`: bundles made for ``kiln deploy`` and extracted safely;
- :mod:`kiln.hosting.lifespan`: starting and stopping an app's lifespan by hand.
"""

from kiln.hosting.bundles import BundleError, extract_bundle, make_bundle
from kiln.hosting.host import CONTROL_APP, Host

__all__ = ["CONTROL_APP", "BundleError", "Host", "extract_bundle", "make_bundle"]
