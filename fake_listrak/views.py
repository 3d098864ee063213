"""The emulated API: the token endpoint and `/email/v1`. Each view parses, calls the backend, serialises."""

from __future__ import annotations

from flask import Blueprint, Response, request

from . import render
from .exceptions import InvalidCredentials, UnsupportedGrantType
from .parsing import (
    parse_contact_query,
    parse_contact_upsert,
    parse_field,
    parse_field_ids,
    parse_field_updates,
    parse_group,
    parse_id,
    parse_list,
)
from .web import backend, json_response, query, raw_json_response, read_json

__all__ = ["API_PREFIX", "TOKEN_PATH", "api", "bearer_token"]

API_PREFIX = "/email/v1"
TOKEN_PATH = "/OAuth2/Token"
_LIST = API_PREFIX + "/List/<list_id>"
_GROUP = _LIST + "/SegmentationFieldGroup/<group_id>"
_FIELD = _GROUP + "/SegmentationField/<field_id>"

api = Blueprint("listrak_api", __name__)


def bearer_token() -> str | None:
    """The bearer token of the request, if it sends one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _client() -> str:
    return backend().authenticate(bearer_token())


# -- OAuth ------------------------------------------------------------------------------------
@api.post(TOKEN_PATH)
def issue_token() -> Response:
    form = request.form
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    if request.authorization is not None and request.authorization.type == "basic":
        client_id = client_id or request.authorization.username
        client_secret = client_secret or request.authorization.password
    grant_type = form.get("grant_type")
    if grant_type != "client_credentials":
        if grant_type is None and client_id is None:
            raise InvalidCredentials()
        raise UnsupportedGrantType(grant_type)
    token = backend().issue_token(client_id, client_secret)
    body = {"access_token": token.value, "token_type": "bearer", "expires_in": token.expires_in}
    return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


# -- lists ------------------------------------------------------------------------------------
@api.get(API_PREFIX + "/List")
def get_lists() -> Response:
    lists = backend().get_lists(_client())
    return json_response(render.collection(render.list_json(item) for item in lists))


@api.post(API_PREFIX + "/List")
def create_list() -> Response:
    client = _client()
    new = parse_list(read_json())
    created = backend().create_list(client, new)
    return json_response(render.created(created.list_id), 201)


@api.get(_LIST)
def get_list(list_id: str) -> Response:
    client = _client()
    found = backend().get_list(client, parse_id(list_id, "listId"))
    return json_response(render.resource(render.list_json(found)))


@api.put(_LIST)
def update_list(list_id: str) -> Response:
    client = _client()
    lid = parse_id(list_id, "listId")
    updated = backend().update_list(client, lid, parse_list(read_json()))
    return json_response(render.updated(updated.list_id))


@api.delete(_LIST)
def delete_list(list_id: str) -> Response:
    client = _client()
    backend().delete_list(client, parse_id(list_id, "listId"))
    return json_response(render.deleted())


# -- contacts ---------------------------------------------------------------------------------
@api.get(_LIST + "/Contact")
def get_contacts(list_id: str) -> Response:
    client = _client()
    lid = parse_id(list_id, "listId")
    page = backend().get_contacts(client, lid, parse_contact_query(query()))
    return raw_json_response(render.page_body(page))


@api.get(_LIST + "/Contact/<path:identifier>")
def get_contact(list_id: str, identifier: str) -> Response:
    client = _client()
    lid = parse_id(list_id, "listId")
    field_ids = parse_field_ids(query().get("segmentationFieldIds"))
    row = backend().get_contact(client, lid, identifier, field_ids)
    return raw_json_response(render.resource_row(row))


@api.post(_LIST + "/Contact")
def upsert_contact(list_id: str) -> Response:
    client = _client()
    lid = parse_id(list_id, "listId")
    upsert = parse_contact_upsert(read_json(), query())
    result = backend().upsert_contact(client, lid, upsert)
    if result.created:
        return json_response(render.created(result.resource_id), 201)
    return json_response(render.updated(result.resource_id))


@api.post(_LIST + "/Contact/SegmentationField")
def update_contact_fields(list_id: str) -> Response:
    client = _client()
    lid = parse_id(list_id, "listId")
    import_id = backend().update_contact_fields(client, lid, parse_field_updates(read_json()))
    return json_response(render.created(import_id), 201)


# -- profile field groups ---------------------------------------------------------------------
@api.get(_LIST + "/SegmentationFieldGroup")
def get_field_groups(list_id: str) -> Response:
    client = _client()
    groups = backend().get_field_groups(client, parse_id(list_id, "listId"))
    return json_response(render.collection(render.group_json(g) for g in groups))


@api.post(_LIST + "/SegmentationFieldGroup")
def create_field_group(list_id: str) -> Response:
    client = _client()
    lid = parse_id(list_id, "listId")
    created = backend().create_field_group(client, lid, parse_group(read_json()))
    return json_response(render.created(created.group_id), 201)


@api.get(_GROUP)
def get_field_group(list_id: str, group_id: str) -> Response:
    client = _client()
    lid, gid = parse_id(list_id, "listId"), parse_id(group_id, "segmentationFieldGroupId")
    return json_response(render.resource(render.group_json(backend().get_field_group(client, lid, gid))))


@api.put(_GROUP)
def update_field_group(list_id: str, group_id: str) -> Response:
    client = _client()
    lid, gid = parse_id(list_id, "listId"), parse_id(group_id, "segmentationFieldGroupId")
    updated = backend().update_field_group(client, lid, gid, parse_group(read_json()))
    return json_response(render.updated(updated.group_id))


@api.delete(_GROUP)
def delete_field_group(list_id: str, group_id: str) -> Response:
    client = _client()
    lid, gid = parse_id(list_id, "listId"), parse_id(group_id, "segmentationFieldGroupId")
    backend().delete_field_group(client, lid, gid)
    return json_response(render.deleted())


# -- profile fields ---------------------------------------------------------------------------
@api.get(_GROUP + "/SegmentationField")
def get_fields(list_id: str, group_id: str) -> Response:
    client = _client()
    lid, gid = parse_id(list_id, "listId"), parse_id(group_id, "segmentationFieldGroupId")
    found = backend().get_fields(client, lid, gid)
    return json_response(render.collection(render.field_json(f) for f in found))


@api.post(_GROUP + "/SegmentationField")
def create_field(list_id: str, group_id: str) -> Response:
    client = _client()
    lid, gid = parse_id(list_id, "listId"), parse_id(group_id, "segmentationFieldGroupId")
    created = backend().create_field(client, lid, gid, parse_field(read_json()))
    return json_response(render.created(created.field_id), 201)


@api.get(_FIELD)
def get_field(list_id: str, group_id: str, field_id: str) -> Response:
    client = _client()
    ids = _field_ids(list_id, group_id, field_id)
    return json_response(render.resource(render.field_json(backend().get_field(client, *ids))))


@api.put(_FIELD)
def update_field(list_id: str, group_id: str, field_id: str) -> Response:
    client = _client()
    ids = _field_ids(list_id, group_id, field_id)
    updated = backend().update_field(client, *ids, parse_field(read_json()))
    return json_response(render.updated(updated.field_id))


@api.delete(_FIELD)
def delete_field(list_id: str, group_id: str, field_id: str) -> Response:
    client = _client()
    backend().delete_field(client, *_field_ids(list_id, group_id, field_id))
    return json_response(render.deleted())


def _field_ids(list_id: str, group_id: str, field_id: str) -> tuple[int, int, int]:
    return (
        parse_id(list_id, "listId"),
        parse_id(group_id, "segmentationFieldGroupId"),
        parse_id(field_id, "segmentationFieldId"),
    )
