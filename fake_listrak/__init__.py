"""A fake of Listrak's Email REST API v1: a pure backend, a thin Flask app, and an in-process object.

from fake_listrak import FakeListrak

with FakeListrak() as lr:
    lr.seed({"lists": [{"listId": 101, "contacts": ["a@example.com"]}]})
    ...  # lr.auth_url, lr.api_url, lr.client_id, lr.client_secret
"""

from .app import create_app
from .backend import FAULT_ACTIONS, MAX_PAGE_SIZE, MAX_SEGMENTATION_FIELDS, ListrakBackend
from .exceptions import ListrakError
from .fake import FakeListrak, ListrakAccount
from .models import (
    PENDING,
    SUBSCRIBED,
    UNSUBSCRIBED,
    Change,
    Client,
    Contact,
    ContactList,
    ContactPage,
    ContactQuery,
    ContactUpsert,
    Field,
    FieldGroup,
    Settings,
    Suppressions,
    UpsertResult,
)
from .seed import SeedSummary

__all__ = [
    "FAULT_ACTIONS",
    "MAX_PAGE_SIZE",
    "MAX_SEGMENTATION_FIELDS",
    "PENDING",
    "SUBSCRIBED",
    "UNSUBSCRIBED",
    "Change",
    "Client",
    "Contact",
    "ContactList",
    "ContactPage",
    "ContactQuery",
    "ContactUpsert",
    "FakeListrak",
    "Field",
    "FieldGroup",
    "ListrakAccount",
    "ListrakBackend",
    "ListrakError",
    "SeedSummary",
    "Settings",
    "Suppressions",
    "UpsertResult",
    "create_app",
]
