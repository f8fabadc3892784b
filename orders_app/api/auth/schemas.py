import marshmallow as ma
from marshmallow import fields, validate

USERNAME_RULE = validate.Regexp(
    r"^[A-Za-z0-9_.-]{3,32}\Z", error="Must be 3 to 32 characters of letters, digits, '_', '.' or '-'."
)


class RegisterSchema(ma.Schema):
    username = fields.String(required=True, validate=USERNAME_RULE, metadata={"example": "alice"})
    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=8, max=256, error="Must be between {min} and {max} characters."),
        metadata={"example": "correct horse battery"},
    )


class LoginSchema(ma.Schema):
    username = fields.String(required=True, metadata={"example": "alice"})
    password = fields.String(required=True, load_only=True, metadata={"example": "correct horse battery"})


class UserSchema(ma.Schema):
    user_id = fields.UUID(attribute="id", data_key="userId", dump_only=True)
    username = fields.String(dump_only=True)


class TokenSchema(ma.Schema):
    access_token = fields.String(data_key="accessToken")
    refresh_token = fields.String(data_key="refreshToken")
    token_type = fields.String(data_key="tokenType", metadata={"example": "Bearer"})
    expires_in = fields.Integer(data_key="expiresIn", metadata={"description": "Access token lifetime in seconds"})
