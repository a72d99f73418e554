"""/config, /mode and /compatibility."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from registry.api.requests import mode_value, object_body, schema_request
from registry.http import endpoint, flag, warmed


def _registry(request: Request):
    return request.app.state.registry


def _subject(request: Request) -> str | None:
    return request.path_params.get("subject")


def get_config(request: Request, _):
    return _registry(request).get_config(_subject(request), flag(request, "defaultToGlobal"))


def put_config(request: Request, body):
    return _registry(request).set_config(_subject(request), object_body(body))


def delete_config(request: Request, _):
    return _registry(request).delete_config(_subject(request))


def get_mode(request: Request, _):
    return _registry(request).get_mode(_subject(request), flag(request, "defaultToGlobal"))


def put_mode(request: Request, body):
    return _registry(request).set_mode(_subject(request), mode_value(body), force=flag(request, "force"))


def delete_mode(request: Request, _):
    return _registry(request).delete_mode(_subject(request))


async def compatibility(request: Request, body):
    req, subject, version = schema_request(body), request.path_params["subject"], request.path_params.get("version")
    normalize = flag(request, "normalize")
    await warmed(request, subject, req, normalize=normalize, checking=True, version=version)
    return _registry(request).test_compatibility(
        subject, version, req, normalize=normalize, verbose=flag(request, "verbose"))


ROUTES = [
    Route("/config", endpoint(get_config), methods=["GET"]),
    Route("/config", endpoint(put_config, body=True), methods=["PUT"]),
    Route("/config", endpoint(delete_config), methods=["DELETE"]),
    Route("/config/{subject:subject}", endpoint(get_config), methods=["GET"]),
    Route("/config/{subject:subject}", endpoint(put_config, body=True), methods=["PUT"]),
    Route("/config/{subject:subject}", endpoint(delete_config), methods=["DELETE"]),
    Route("/mode", endpoint(get_mode), methods=["GET"]),
    Route("/mode", endpoint(put_mode, body=True), methods=["PUT"]),
    Route("/mode", endpoint(delete_mode), methods=["DELETE"]),
    Route("/mode/{subject:subject}", endpoint(get_mode), methods=["GET"]),
    Route("/mode/{subject:subject}", endpoint(put_mode, body=True), methods=["PUT"]),
    Route("/mode/{subject:subject}", endpoint(delete_mode), methods=["DELETE"]),
    Route("/compatibility/subjects/{subject:subject}/versions/{version}", endpoint(compatibility, body=True),
          methods=["POST"]),
    Route("/compatibility/subjects/{subject:subject}/versions", endpoint(compatibility, body=True), methods=["POST"]),
]
