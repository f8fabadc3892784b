"""Business rules in plain Python: no Flask, no SQLAlchemy, unit-tested on their own."""
