"""Indonesia–Kazakhstan export matchmaker.

``create_app`` imports Flask lazily so that ``matchmaker.matching`` (the pure matching engine) can be
imported by workers, benchmarks and the batch CLI without pulling in the web stack.
"""


def create_app(test_config=None):
    """Build the Flask application (see :func:`matchmaker.app.create_app`)."""
    from matchmaker.app import create_app as build

    return build(test_config)
