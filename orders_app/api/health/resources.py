from flask.views import MethodView

from ...services import health
from ..common import Blueprint
from .schemas import HealthSchema

blp = Blueprint("health", __name__, url_prefix="/health", description="Liveness and database reachability.")


@blp.route("")
class Health(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="The database is unreachable")
    def get(self):
        """200 when the service and its database answer, 503 when the database does not"""
        if health.database_reachable():
            return {"status": "ok", "database": "ok"}
        return {"status": "unavailable", "database": "unreachable"}, 503
