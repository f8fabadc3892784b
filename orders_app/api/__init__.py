"""HTTP API: one package per resource, each with resources.py (views) and schemas.py."""

from . import auth, health, instruments, market, orders

RESOURCES = (health, auth, instruments, orders, market)


def register_blueprints(api):
    """Register every resource's blueprint on the flask-smorest Api."""
    for resource in RESOURCES:
        api.register_blueprint(resource.resources.blp)
