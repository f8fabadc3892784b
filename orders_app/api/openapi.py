"""The OpenAPI document as the app really behaves: what flask-smorest cannot know by itself.

This module owns the spec-only truths, applied as an apispec plugin while each path is documented:

- every error status an operation can answer is listed on it, in the common error shape ({code,
  status, message, errors}): 401 on token-protected operations, 400 and 413 where a JSON body is
  read, 422 where arguments are parsed, 404 where the path names a resource; flask-smorest's
  catch-all `default` response is dropped, so a status the document does not list is a bug;
- X-Pagination is documented as the JSON text it is, not as an object header;
- a 405 carries an Allow header (orders_app/errors.py sends it);
- `pair` and asset fields and parameters list the pairs and assets this app is configured with.

Request validation never reads the document: the enums here are for clients and fuzzers only.
"""

import json

from apispec import BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin

ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
BEARER_CHALLENGE = {
    "WWW-Authenticate": {"description": "Always `Bearer`", "schema": {"type": "string", "enum": ["Bearer"]}}
}
PAGINATION_EXAMPLE = {"total": 42, "total_pages": 5, "first_page": 1, "last_page": 5, "page": 2, "previous_page": 1, "next_page": 3}
PAGINATION_HEADER = {
    "description": (
        "Pagination metadata as a JSON object in the header's text: total, total_pages, first_page, "
        "last_page, page, and previous_page / next_page when those pages exist"
    ),
    "schema": {"type": "string"},
    "example": json.dumps(PAGINATION_EXAMPLE),
}
METHOD_NOT_ALLOWED = {
    "description": "Any path answers a method it does not document with 405, naming the ones it does in Allow",
    "content": ERROR_CONTENT,
    "headers": {
        "Allow": {"description": "The methods the path supports, e.g. `GET, HEAD, OPTIONS`", "schema": {"type": "string"}}
    },
}
PAIR_FIELDS = {"pair"}
ASSET_FIELDS = {"asset", "valuationAsset"}
SMOREST_PAGINATION_HEADER = "PAGINATION"


def configured_pairs(config):
    return sorted(instrument["symbol"] for instrument in config["INSTRUMENTS"])


def configured_assets(config):
    """The assets of the configured instruments and of the starting balances, as services.balances knows them."""
    assets = set(config["STARTING_BALANCES"])
    for instrument in config["INSTRUMENTS"]:
        assets.update((instrument["base"], instrument["quote"]))
    return sorted(assets)


class TruthfulSpec(BasePlugin):
    """apispec plugin built per app from its settings; see the module docstring for what it adds."""

    def __init__(self, config):
        super().__init__()
        self.enums = {
            **{name: configured_pairs(config) for name in PAIR_FIELDS},
            **{name: configured_assets(config) for name in ASSET_FIELDS},
        }

    def init_spec(self, spec):
        super().init_spec(spec)
        spec.components.response("MethodNotAllowed", METHOD_NOT_ALLOWED)
        spec.components.header("XPagination", PAGINATION_HEADER)
        marshmallow = next(plugin for plugin in spec.plugins if isinstance(plugin, MarshmallowPlugin))
        enums = self.enums

        def field_enum(_converter, field, **_kwargs):
            values = enums.get(field.data_key or field.name)
            return {"enum": values} if values else {}

        # apispec binds the function to its converter, hence a plain function and not a method.
        marshmallow.converter.add_attribute_function(field_enum)

    def path_helper(self, path=None, operations=None, parameters=None, **_kwargs):
        for parameter in parameters or ():
            values = self.enums.get(parameter["name"])
            if values and parameter["in"] == "path":
                parameter["schema"] = {**parameter.get("schema", {}), "enum": values}
        # apispec keeps the path the Flask plugin produced when a helper returns None.

    def operation_helper(self, path=None, operations=None, **_kwargs):
        for operation in operations.values():
            # flask-smorest keys responses by int or str as the decorators were given them.
            responses = {str(status): response for status, response in operation.get("responses", {}).items()}
            responses.pop("default", None)
            operation["responses"] = responses
            for error, response in self._possible_errors(path, operation).items():
                responses.setdefault(error, response)
            for status, response in responses.items():
                if isinstance(response, dict):
                    self._document_response(int(status), response)

    @staticmethod
    def _document_response(status, response):
        if status >= 400:
            response.setdefault("content", ERROR_CONTENT)
        if status == 401:
            response.setdefault("headers", {}).update(BEARER_CHALLENGE)
        headers = response.get("headers", {})
        for name, header in headers.items():
            if header == SMOREST_PAGINATION_HEADER:
                headers[name] = "XPagination"

    @staticmethod
    def _possible_errors(path, operation):
        errors = {}
        if operation.get("security") != []:
            errors["401"] = {"description": "The bearer token is missing, invalid, expired or of the wrong kind"}
        if "requestBody" in operation:
            errors["400"] = {"description": "The request body is not valid JSON"}
            errors["413"] = {"description": "The request body is larger than the server reads"}
        if "requestBody" in operation or operation.get("parameters"):
            errors["422"] = {"description": "The request is not valid; see errors for each field"}
        if "{" in path:
            errors["404"] = {"description": "No such resource at this path"}
        return errors
