"""/schemas: by id, by guid, listing and types."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from registry.http import Text, endpoint, flag, integer


def _registry(request: Request):
    return request.app.state.registry


def by_id(request: Request, _):
    if not request.scope["query_string"]:
        return _registry(request).schema_bytes_by_id(request.path_params["id"])
    q = request.query_params
    return _registry(request).schema_by_id(
        request.path_params["id"], subject=q.get("subject"), fmt=q.get("format"),
        fetch_max_id=flag(request, "fetchMaxId"))


def text_by_id(request: Request, _):
    q = request.query_params
    return Text(_registry(request).schema_text_by_id(
        request.path_params["id"], subject=q.get("subject"), fmt=q.get("format")))


def id_subjects(request: Request, _):
    out = _registry(request).id_subjects(
        request.path_params["id"], subject=request.query_params.get("subject"), deleted=flag(request, "deleted"))
    return _slice(request, out)


def id_versions(request: Request, _):
    out = _registry(request).id_versions(
        request.path_params["id"], subject=request.query_params.get("subject"), deleted=flag(request, "deleted"))
    return _slice(request, out)


def _slice(request: Request, items: list) -> list:
    offset, limit = integer(request, "offset", 0), integer(request, "limit", -1)
    return items[offset:] if limit < 0 else items[offset:offset + limit]


def by_guid(request: Request, _):
    return _registry(request).schema_by_guid(request.path_params["guid"], fmt=request.query_params.get("format"))


def listing(request: Request, _):
    return _registry(request).list_schemas(
        request.query_params.get("subjectPrefix", ""), deleted=flag(request, "deleted"),
        latest_only=flag(request, "latestOnly"), offset=integer(request, "offset", 0),
        limit=integer(request, "limit", 1000))


def types(request: Request, _):
    return list(request.app.state.registry.types)


ROUTES = [
    Route("/schemas/ids/{id:int}", endpoint(by_id), methods=["GET"]),
    Route("/schemas", endpoint(listing), methods=["GET"]),
    Route("/schemas/types", endpoint(types), methods=["GET"]),
    Route("/schemas/ids/{id:int}/schema", endpoint(text_by_id), methods=["GET"]),
    Route("/schemas/ids/{id:int}/subjects", endpoint(id_subjects), methods=["GET"]),
    Route("/schemas/ids/{id:int}/versions", endpoint(id_versions), methods=["GET"]),
    Route("/schemas/guids/{guid}", endpoint(by_guid), methods=["GET"]),
]
