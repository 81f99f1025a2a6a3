"""A module that fails at import, as an app with a bad dependency would."""

import this_dependency_does_not_exist  # type: ignore[import-not-found]  # noqa: F401

app = None
