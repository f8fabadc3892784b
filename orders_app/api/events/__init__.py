from . import resources  # noqa: F401  (register_blueprints reads resources.blp)
