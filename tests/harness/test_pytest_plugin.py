"""The pytest plugin: each test gets its own write key on one shared fake Segment."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_each_test_sees_only_its_own_messages(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def send(fake_segment, who):
            httpx.post(
                fake_segment.api_url + "/identify",
                json={"anonymousId": who, "messageId": "same-id", "traits": {"email": who}},
                auth=(fake_segment.write_key, ""),
            ).raise_for_status()

        def test_one(fake_segment):
            send(fake_segment, "one@x.io")
            assert [m["anonymousId"] for m in fake_segment.messages()] == ["one@x.io"]

        def test_two(fake_segment):
            # The same messageId as test_one: per-key dedupe keeps tests independent.
            send(fake_segment, "two@x.io")
            assert [m["anonymousId"] for m in fake_segment.messages()] == ["two@x.io"]
            assert fake_segment.profile(email="two@x.io")["traits"] == {"email": "two@x.io"}

        def test_server_is_shared(fake_segment, fake_segment_server):
            assert fake_segment.url == fake_segment_server.url
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_options_fixture_configures_the_server(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def fake_segment_options():
            return {"retention": 2, "dedupe_scope": "write_key"}
        """
    )
    pytester.makepyfile(
        """
        def test_retention(fake_segment_server):
            assert fake_segment_server.backend.settings.retention == 2
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_each_test_gets_its_own_listrak_account(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def lists(account):
            token = httpx.post(account.auth_url, data={
                "grant_type": "client_credentials",
                "client_id": account.client_id,
                "client_secret": account.client_secret,
            }).json()["access_token"]
            body = httpx.get(account.api_url + "/List", headers={"Authorization": f"Bearer {token}"}).json()
            return [entry["listName"] for entry in body["data"]]

        def test_one(fake_listrak):
            fake_listrak.seed({"lists": [{"listId": 1, "listName": "one", "contacts": ["a@x.io"]}]})
            assert lists(fake_listrak) == ["one"]

        def test_two(fake_listrak):
            fake_listrak.seed({"lists": [{"listId": 1, "listName": "two"}]})
            assert lists(fake_listrak) == ["two"]

        def test_same_server(fake_listrak, fake_listrak_server):
            assert fake_listrak.url == fake_listrak_server.url
            assert fake_listrak.client_id != fake_listrak_server.client_id
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_the_conformance_fixture_passes_a_conforming_sync_and_fails_a_broken_one_readably(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        from broken_syncs import omit_removal

        def test_reference(conformance):
            result = conformance("reference", examples=5, seed=1)
            assert result.ok and result.examples_run == 5

        def test_broken(conformance, tmp_path):
            conformance(omit_removal, examples=60, seed=1, max_steps=30, faults=False)
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    text = result.stdout.str()
    assert "FAILED: unsubscribed-trait-removed violated" in text
    assert "minimal history saved as" in text and "failures/unsubscribed-trait-removed-" in text
    assert "Traceback" not in text and "def certify" not in text  # the report, not the harness's insides
