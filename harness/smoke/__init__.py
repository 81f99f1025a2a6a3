"""``kiln-smoke``: deploy → smoke → teardown against a ``kiln host``.

- :mod:`harness.smoke.steps`: the steps, each a function of an :class:`~harness.smoke.steps.Instance`;
- :mod:`harness.smoke.runner`: running them (one instance or N in parallel), evidence, JUnit XML;
- :mod:`harness.smoke.client`: HTTP with retries and the ``Host`` header;
- :mod:`harness.smoke.report`: live progress and the summary;
- :mod:`harness.smoke.cli`: the ``kiln-smoke`` command.

It imports kiln (to bundle the fixture, through :mod:`harness.kiln_adapter`); ``import harness``
does not import it.
"""
