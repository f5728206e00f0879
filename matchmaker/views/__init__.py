"""Blueprints, one per area of the platform."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from matchmaker.views import accounts, admin, catalog, curation, hs_picker, main, matches, organisations
    from matchmaker.views import curation_io, meetings, notifications, programme, search, verification

    app.register_blueprint(main.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(catalog.products_bp)
    app.register_blueprint(catalog.requests_bp)
    app.register_blueprint(organisations.bp)
    app.register_blueprint(hs_picker.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(matches.bp)
    app.register_blueprint(curation.bp)
    app.register_blueprint(programme.bp)
    app.register_blueprint(verification.bp)
    app.register_blueprint(curation_io.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(meetings.bp)
    app.register_blueprint(search.bp)
