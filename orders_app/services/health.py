import logging

from sqlalchemy import text

from ..extensions import db

log = logging.getLogger(__name__)


def database_reachable():
    """True when the database answers a trivial query."""
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:
        log.warning("Health check: database unreachable", exc_info=True)
        return False
    finally:
        try:
            db.session.rollback()
        except Exception:  # a dead connection may refuse even the rollback; the answer stands
            log.debug("Rollback after health check failed", exc_info=True)
