"""/subjects: register, look up, list and delete versions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from registry.api.requests import schema_request
from registry.http import Text, endpoint, flag, integer, warmed


def _registry(request: Request):
    return request.app.state.registry


def listing(request: Request, _):
    return _registry(request).list_subjects(
        request.query_params.get("subjectPrefix", ":*:"), deleted=flag(request, "deleted"),
        deleted_only=flag(request, "deletedOnly"), offset=integer(request, "offset", 0),
        limit=integer(request, "limit", -1))


def versions(request: Request, _):
    return _registry(request).list_versions(
        request.path_params["subject"], deleted=flag(request, "deleted"),
        deleted_only=flag(request, "deletedOnly"), deleted_as_negative=flag(request, "deletedAsNegative"),
        offset=integer(request, "offset", 0), limit=integer(request, "limit", -1))


async def register(request: Request, body):
    req, subject, normalize = schema_request(body), request.path_params["subject"], flag(request, "normalize")
    await warmed(request, subject, req, normalize=normalize, registering=True, checking=not flag(request, "force"))
    return _registry(request).register(subject, req, normalize=normalize, force=flag(request, "force"))


async def lookup(request: Request, body):
    req, subject, normalize = schema_request(body), request.path_params["subject"], flag(request, "normalize")
    await warmed(request, subject, req, normalize=normalize)
    return _registry(request).lookup(subject, req, normalize=normalize, deleted=flag(request, "deleted"))


def delete_subject(request: Request, _):
    return _registry(request).delete_subject(request.path_params["subject"], permanent=flag(request, "permanent"))


def version(request: Request, _):
    p = request.path_params
    return _registry(request).get_version(
        p["subject"], p["version"], deleted=flag(request, "deleted"), fmt=request.query_params.get("format"))


def version_text(request: Request, _):
    p = request.path_params
    return Text(_registry(request).get_version_text(
        p["subject"], p["version"], deleted=flag(request, "deleted"), fmt=request.query_params.get("format")))


def delete_version(request: Request, _):
    p = request.path_params
    return _registry(request).delete_version(p["subject"], p["version"], permanent=flag(request, "permanent"))


def referenced_by(request: Request, _):
    p = request.path_params
    out = _registry(request).referenced_by(p["subject"], p["version"], deleted=flag(request, "deleted"))
    offset, limit = integer(request, "offset", 0), integer(request, "limit", -1)
    return out[offset:] if limit < 0 else out[offset:offset + limit]


# Subjects may hold '/' (Protobuf import paths, sent as %2F), so they match as paths;
# Starlette tries routes in order, so the longer patterns come first.
ROUTES = [
    Route("/subjects", endpoint(listing), methods=["GET"]),
    Route("/subjects/{subject:subject}/versions/{version}/referencedby", endpoint(referenced_by), methods=["GET"]),
    Route("/subjects/{subject:subject}/versions/{version}/schema", endpoint(version_text), methods=["GET"]),
    Route("/subjects/{subject:subject}/versions/{version}", endpoint(version), methods=["GET"]),
    Route("/subjects/{subject:subject}/versions/{version}", endpoint(delete_version), methods=["DELETE"]),
    Route("/subjects/{subject:subject}/versions", endpoint(versions), methods=["GET"]),
    Route("/subjects/{subject:subject}/versions", endpoint(register, body=True), methods=["POST"]),
    Route("/subjects/{subject:subject}", endpoint(lookup, body=True), methods=["POST"]),
    Route("/subjects/{subject:subject}", endpoint(delete_subject), methods=["DELETE"]),
]
