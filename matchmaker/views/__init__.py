"""Blueprints, one per area of the platform."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from matchmaker.views import accounts, admin, catalog, hs_picker, main, matches, organisations
    from matchmaker.views import search

    app.register_blueprint(main.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(catalog.products_bp)
    app.register_blueprint(catalog.requests_bp)
    app.register_blueprint(organisations.bp)
    app.register_blueprint(hs_picker.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(matches.bp)
    app.register_blueprint(search.bp)
