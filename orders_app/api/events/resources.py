from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required

from ...services import event_log
from ..common import Blueprint
from .schemas import EventPageSchema, EventsQuerySchema

blp = Blueprint(
    "events", __name__, description="The current user's private events, stored and numbered, to read again."
)


@blp.route("/events")
class Events(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(EventsQuerySchema, location="query")
    @blp.response(200, EventPageSchema)
    @blp.alt_response(410, description="Events after afterSeq are no longer all kept (older than the retention)")
    @blp.alt_response(422, description="afterSeq is not a whole number of 0 or more, or limit is not 1-1000")
    def get(self, query):
        """The current user's events after afterSeq, oldest first, exactly as published"""
        return event_log.events_after(user_id=current_user.id, after_seq=query["after_seq"], limit=query["limit"])
