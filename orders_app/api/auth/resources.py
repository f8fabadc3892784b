from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required

from ... import limits
from ...services import accounts
from ..common import COMMIT_FAILED_RESPONSE, Blueprint
from .schemas import LoginSchema, RegisterSchema, TokenSchema, UserSchema

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Register, log in, refresh tokens.")


@blp.route("/register")
class Register(MethodView):
    @limits.registration
    @blp.doc(security=[])
    @blp.arguments(RegisterSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, description="Username already taken")
    @blp.alt_response(429, **limits.RATE_LIMITED_RESPONSE)
    @blp.alt_response(503, **COMMIT_FAILED_RESPONSE)
    def post(self, body):
        """Create an account"""
        return accounts.register_user(username=body["username"], password=body["password"])


@blp.route("/login")
class Login(MethodView):
    @limits.login
    @blp.doc(security=[])
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, description="Invalid username or password")
    @blp.alt_response(429, **limits.RATE_LIMITED_RESPONSE)
    def post(self, body):
        """Exchange credentials for an access token and a refresh token"""
        user = accounts.authenticate(username=body["username"], password=body["password"])
        return accounts.issue_tokens(user)


@blp.route("/refresh")
class Refresh(MethodView):
    @jwt_required(refresh=True)
    @blp.response(200, TokenSchema)
    def post(self):
        """Exchange a refresh token (as the bearer token) for a new access token"""
        return accounts.refresh_access_token(user_id=current_user.id)


@blp.route("/me")
class Me(MethodView):
    @jwt_required()
    @blp.response(200, UserSchema)
    def get(self):
        """The account the access token belongs to"""
        return current_user
