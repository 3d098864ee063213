"""Fixtures for the fake Listrak's tests: a backend on a manual clock, its app, an authorised client,
a seeded list, and a checker of responses against Listrak's swagger."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from listrak_support import CLIENT_ID, CLIENT_SECRET, START, Api, Swagger, load_swagger
from werkzeug.test import TestResponse

from fake_listrak.app import create_app
from fake_listrak.backend import ListrakBackend
from harness.fakekit.clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def backend(clock: ManualClock) -> ListrakBackend:
    backend = ListrakBackend(clock)
    backend.register_client(CLIENT_ID, CLIENT_SECRET)
    return backend


@pytest.fixture
def app(backend: ListrakBackend) -> Flask:
    return create_app(backend, {"CLIENT_ID": CLIENT_ID})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def api(client: FlaskClient, backend: ListrakBackend) -> Api:
    return Api(client, backend)


@pytest.fixture
def seeded(backend: ListrakBackend) -> ListrakBackend:
    """List 101 with a profile group (7) holding a Text field (5, max 10) and a Numeric one (6),
    and three contacts: a (subscribed, value u-a), b (subscribed), c (unsubscribed)."""
    backend.seed(
        CLIENT_ID,
        {
            "lists": [
                {
                    "listId": 101,
                    "listName": "Newsletter",
                    "segmentationFieldGroups": [
                        {
                            "segmentationFieldGroupId": 7,
                            "segmentationFieldGroupName": "Profile",
                            "segmentationFields": [
                                {
                                    "segmentationFieldId": 5,
                                    "segmentationFieldName": "UserId",
                                    "dataType": "Text",
                                    "maxLength": 10,
                                },
                                {
                                    "segmentationFieldId": 6,
                                    "segmentationFieldName": "Score",
                                    "dataType": "Numeric",
                                    "maxLength": 10,
                                },
                            ],
                        }
                    ],
                    "contacts": [
                        {
                            "emailAddress": "a@example.com",
                            "externalContactID": "ext-a",
                            "segmentationFieldValues": [{"segmentationFieldId": 5, "value": "u-a"}],
                        },
                        "b@example.com",
                        {"emailAddress": "c@example.com", "subscriptionState": "Unsubscribed"},
                    ],
                }
            ]
        },
    )
    return backend


@pytest.fixture(scope="session")
def swagger() -> Swagger:
    return load_swagger()


@pytest.fixture
def check_swagger(swagger: Swagger) -> Callable[[str, str, TestResponse], Any]:
    """Assert a response matches what the swagger declares for its operation and status; return its JSON."""

    def check(method: str, template: str, response: TestResponse) -> Any:
        body = response.get_json()
        assert response.mimetype == "application/json"
        problems = swagger.errors(method, template, response.status_code, body)
        assert not problems, f"{method} {template} -> {response.status_code} {body}: {problems}"
        return body

    return check
