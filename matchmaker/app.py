"""The application factory."""

from __future__ import annotations

import os

from flask import Flask
from htmx_flask import Htmx
from flask_wtf.csrf import CSRFProtect

from matchmaker import config, db, i18n, security, seeding, templating, urls
from matchmaker.config import PROJECT_ROOT, Config

csrf = CSRFProtect()
htmx = Htmx()


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    config.check_environment(app.config["ENV_NAME"])
    production = app.config["ENV_NAME"] == "production"
    if production and not os.environ.get("SECRET_KEY") and not test_config:
        # A random per-process key would log everyone out on each restart and differ between workers.
        raise config.ConfigurationError("Set SECRET_KEY in the environment when MATCHMAKER_ENV=production.")

    db.init_app(app)
    from matchmaker.services import index_store
    index_store.init_app(app)
    if production:
        # Once per process (each gunicorn worker builds its app here), never per request.
        seeding.refuse_demo_accounts(app.extensions["db_engine"])
    csrf.init_app(app)
    htmx.init_app(app)
    i18n.init_app(app)
    templating.init_app(app)
    security.init_app(app)
    urls.init_app(app)  # before the blueprints: their routes use the ``id`` converter

    from matchmaker import auth, cli, errors
    from matchmaker.views import register_blueprints

    auth.init_app(app)
    errors.init_app(app)
    register_blueprints(app)
    from matchmaker.views import notifications as notifications_views
    notifications_views.init_app(app)  # signals → notifications and mail; the outbox sender
    from matchmaker.services import jobs
    jobs.init_app(app)  # catalogue changes → the matching job (inline, a thread or RQ)
    cli.init_app(app)
    return app
