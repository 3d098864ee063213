"""FakeListrak: a real loopback server over a backend you can drive, accounts, and the in-process transport."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
import respx
from listrak_support import START

from fake_listrak.fake import FakeListrak, ListrakAccount
from harness.fakekit.clock import ManualClock


@pytest.fixture(scope="module")
def served() -> Iterator[FakeListrak]:
    with FakeListrak(clock=ManualClock(START), threads=4) as lr:
        yield lr


@pytest.fixture
def account(served: FakeListrak) -> Iterator[ListrakAccount]:
    account = served.account()
    yield account
    served.backend.unregister_client(account.client_id)


def _token(http: httpx.Client, account: ListrakAccount) -> str:
    form = {"grant_type": "client_credentials", "client_id": account.client_id, "client_secret": account.client_secret}
    response = http.post(account.auth_url, data=form)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def test_the_urls_are_what_a_sync_needs(served: FakeListrak) -> None:
    assert served.url.startswith("http://127.0.0.1:")
    assert served.auth_url == served.url + "/OAuth2/Token"
    assert served.api_url == served.url + "/email/v1"
    assert served.env() == {
        "LISTRAK_AUTH_URL": served.auth_url,
        "LISTRAK_API_URL": served.api_url,
        "LISTRAK_CLIENT_ID": served.client_id,
        "LISTRAK_CLIENT_SECRET": served.client_secret,
    }


def test_a_seeded_account_is_read_over_http(account: ListrakAccount) -> None:
    account.seed(lists=[{"listId": 101, "contacts": ["a@example.com", "b@example.com"]}])
    with httpx.Client() as http:
        token = _token(http, account)
        body = http.get(f"{account.api_url}/List/101/Contact", headers={"Authorization": f"Bearer {token}"}).json()
    assert [c["emailAddress"] for c in body["data"]] == ["a@example.com", "b@example.com"]


def test_accounts_on_one_server_do_not_share_data(served: FakeListrak, account: ListrakAccount) -> None:
    other = served.account()
    try:
        account.seed(lists=[{"listId": 7, "contacts": ["mine@example.com"]}])
        other.seed(lists=[{"listId": 7, "contacts": ["theirs@example.com"]}])
        other.reset()
        assert [c.address for c in account.contacts(7)] == ["mine@example.com"]
        assert other.state()["lists"] == []
    finally:
        served.backend.unregister_client(other.client_id)


def test_the_harness_drives_contacts_in_process(account: ListrakAccount) -> None:
    account.seed(
        lists=[
            {
                "listId": 1,
                "segmentationFieldGroups": [
                    {
                        "segmentationFieldGroupName": "g",
                        "segmentationFields": [
                            {"segmentationFieldId": 5, "segmentationFieldName": "uid", "dataType": "Text"}
                        ],
                    }
                ],
            }
        ]
    )
    account.subscribe(1, "a@example.com", values={5: "u1"})
    account.set_field_values(1, "a@example.com", {5: "u2"})
    account.unsubscribe(1, "a@example.com")
    contact = account.contact(1, "a@example.com")
    assert contact is not None and not contact.subscribed and contact.value(5) == "u2"
    assert [c.action for c in account.history() if c.email] == [
        "contact.subscribe",
        "contact.update",
        "contact.unsubscribe",
    ]


def test_bans_suppressions_and_double_opt_in_are_driven_in_process(
    served: FakeListrak, account: ListrakAccount
) -> None:
    account.seed(lists=[{"listId": 1}])
    assert account.ban("Spam@x.io").to_json() == {"banned": ["Spam@x.io"], "suppressed": []}
    assert account.suppress("gone@x.io", "bounced@x.io").suppressed == ["gone@x.io", "bounced@x.io"]
    account.subscribe(1, "p@x.io", values=None, double_opt_in=True)
    assert [c.address for c in account.contacts(1, subscribed=True)] == []
    with httpx.Client() as http:
        auth = {"Authorization": f"Bearer {_token(http, account)}"}
        url = f"{account.api_url}/List/1/Contact"
        refused = [
            http.post(url, headers=auth, json={"emailAddress": a}).json()["error"] for a in ("SPAM@x.io", "gone@x.io")
        ]
        pending = http.get(f"{url}/p@x.io", headers=auth).json()["data"]["subscriptionState"]
        confirmed = account.confirm(1, "p@x.io")
        listed = [c["emailAddress"] for c in http.get(url, headers=auth).json()["data"]]
    assert refused == ["ERROR_BANNED_EMAIL_ADDRESS", "ERROR_SUPPRESSED_EMAIL"]
    assert (pending, confirmed.subscription_state, confirmed.subscribe_method) == (
        "Pending",
        "Subscribed",
        "DoubleOptIn",
    )
    assert listed == ["p@x.io"]
    assert account.lift("spam@x.io", "gone@x.io").to_json() == {"banned": [], "suppressed": ["bounced@x.io"]}
    assert served.suppressions().to_json() == {"banned": [], "suppressed": []}  # another account's
    assert account.clear_suppressions() == account.suppressions()
    assert account.suppressions().to_json() == {"banned": [], "suppressed": []}
    assert account.state()["banned"] == []


def test_bad_input_gets_documented_errors_and_the_server_keeps_serving(account: ListrakAccount) -> None:
    account.seed(lists=[{"listId": 1, "contacts": ["a@example.com"]}])
    with httpx.Client() as http:
        auth = {"Authorization": f"Bearer {_token(http, account)}"}
        contact_url = f"{account.api_url}/List/1/Contact"
        cases = [
            (http.post(contact_url, headers={**auth, "Content-Type": "application/json"}, content=b"{x"), 400,
             "ERROR_MALFORMED_REQUEST_BODY"),
            (http.post(contact_url, headers=auth, content=b"{}"), 415, "ERROR_UNSUPPORTED_CONTENT_TYPE"),
            (http.get(contact_url, headers=auth, params={"count": "lots"}), 400, "ERROR_INVALID_PARAMETER"),
            (http.get(f"{account.api_url}/List/2", headers=auth), 404, "ERROR_UNABLE_TO_LOCATE_RESOURCE"),
            (http.patch(contact_url, headers=auth), 405, "ERROR_UNSUPPORTED_METHOD"),
            (http.get(contact_url), 401, "ERROR_UNAUTHORIZED"),
            (http.get(f"{account.url}/email/v1/%ZZ", headers=auth), 404, "ERROR_UNKNOWN_ROUTE"),
        ]  # fmt: skip
        for response, status, error in cases:
            assert (response.status_code, response.json()["error"]) == (status, error), response.text
            assert response.json()["status"] == status
        assert http.get(f"{account.url}/_fake/health").status_code == 200
        assert http.get(contact_url, headers=auth).status_code == 200


def test_a_scan_over_the_server_survives_a_concurrent_writer(account: ListrakAccount) -> None:
    account.seed(lists=[{"listId": 1, "generate": {"count": 400, "start": 0, "emailAddress": "s{n}@x.io"}}])
    stop = threading.Event()
    writing = threading.Event()
    unsubscribed: set[str] = set()

    def write() -> None:
        n = 0
        while not stop.is_set() and n < 300:
            account.subscribe(1, f"w{n}@x.io")
            if n % 2 and n < 400:
                account.unsubscribe(1, f"s{n}@x.io")
                unsubscribed.add(f"s{n}@x.io")
            writing.set()
            n += 1

    seen: list[str] = []
    writer = threading.Thread(target=write)
    with httpx.Client() as http:
        auth = {"Authorization": f"Bearer {_token(http, account)}"}
        writer.start()
        writing.wait(5)
        try:
            cursor: str | None = "Start"
            pages = 0
            while cursor is not None:
                if pages == 30:
                    stop.set()  # let the scan catch up with the writer
                    writer.join()
                body = http.get(
                    f"{account.api_url}/List/1/Contact", headers=auth, params={"count": 7, "cursor": cursor}
                ).json()
                seen += [c["emailAddress"] for c in body["data"]]
                cursor = body["nextPageCursor"]
                pages += 1
        finally:
            stop.set()
            writer.join()
    assert unsubscribed, "the writer should have changed some contacts during the scan"
    for n in range(400):
        address = f"s{n}@x.io"
        # An unsubscribed contact may have been returned before it left; a stable one exactly once.
        assert seen.count(address) == 1 or (address in unsubscribed and seen.count(address) == 0), address
    assert len(seen) == len(set(seen))


def test_the_transport_runs_in_process_without_a_server() -> None:
    lr = FakeListrak(client_id="in-process", client_secret="s")
    lr.seed(lists=[{"listId": 3, "contacts": ["t@example.com"]}])
    with httpx.Client(transport=lr.transport(), base_url="http://listrak.fake") as http:
        form = {"grant_type": "client_credentials", "client_id": "in-process", "client_secret": "s"}
        token = http.post("/OAuth2/Token", data=form).json()["access_token"]
        body = http.get("/email/v1/List/3/Contact", headers={"Authorization": f"Bearer {token}"}).json()
    assert [c["emailAddress"] for c in body["data"]] == ["t@example.com"]
    with pytest.raises(RuntimeError, match="not serving"):
        lr.url  # noqa: B018


def test_respx_users_route_listraks_hosts_to_the_fake() -> None:
    lr = FakeListrak(client_id="respx", client_secret="s")
    lr.seed(lists=[{"listId": 3}])
    with respx.mock:
        respx.route(host="auth.listrak.com").mock(side_effect=lr.transport().handle_request)
        respx.route(host="api.listrak.com").mock(side_effect=lr.transport().handle_request)
        form = {"grant_type": "client_credentials", "client_id": "respx", "client_secret": "s"}
        token = httpx.post("https://auth.listrak.com/OAuth2/Token", data=form).json()["access_token"]
        response = httpx.get("https://api.listrak.com/email/v1/List", headers={"Authorization": f"Bearer {token}"})
    assert [item["listId"] for item in response.json()["data"]] == [3]


def test_stopping_frees_the_port() -> None:
    lr = FakeListrak().start()
    url = lr.url
    lr.stop()
    lr.stop()  # twice is fine
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/_fake/health", timeout=2)


def test_faults_and_settings_per_account(served: FakeListrak, account: ListrakAccount) -> None:
    account.settings(page_size_cap=1)
    assert account.settings().page_size_cap == 1
    assert served.settings().page_size_cap is None
    fault = account.add_fault({"action": "status", "status": 503, "times": 1})
    assert fault.partition == account.client_id
    with httpx.Client() as http:
        auth = {"Authorization": f"Bearer {account.token()}"}
        assert http.get(f"{account.api_url}/List", headers=auth).status_code == 503
        assert http.get(f"{account.api_url}/List", headers=auth).status_code == 200
    account.clear_faults()


def test_the_clock_is_the_harnesss_to_drive(served: FakeListrak, account: ListrakAccount) -> None:
    token = account.token()
    before = served.now()
    served.advance(3599)
    assert served.now() > before
    with httpx.Client() as http:
        assert http.get(f"{account.api_url}/List", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert account.revoke_tokens() == 1
