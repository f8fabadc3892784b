from flask.views import MethodView
from flask_jwt_extended import jwt_required

from ...services import instruments
from ..common import Blueprint
from .schemas import InstrumentSchema

blp = Blueprint("instruments", __name__, url_prefix="/instruments", description="Tradable pairs and their rules.")


@blp.route("")
class Instruments(MethodView):
    @jwt_required()
    @blp.response(200, InstrumentSchema(many=True))
    def get(self):
        """Every tradable pair with its tick size, lot size and minimum amount"""
        return instruments.list_instruments()
