"""HTTP API: one package per resource, each with resources.py (views) and schemas.py."""

from . import accounts, auth, events, health, instruments, market, operator, orders

RESOURCES = (health, auth, instruments, orders, market, operator, accounts, events)


def register_blueprints(api):
    """Register every resource's blueprint on the flask-smorest Api."""
    for resource in RESOURCES:
        api.register_blueprint(resource.resources.blp)
