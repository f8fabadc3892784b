import logging

from sqlalchemy import text

from ..extensions import db

log = logging.getLogger(__name__)


def database_reachable():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return True
    except Exception:
        log.warning("Health check: database unreachable", exc_info=True)
        db.session.rollback()
        return False
