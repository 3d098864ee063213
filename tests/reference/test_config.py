"""Configuration from flags, DESIGN.md's `cmd:` environment and TOML, in that order of precedence,
and the one-sentence errors for configuration that cannot work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.reference import ConfigError, ListConfig, SyncConfig, load_config
from harness.reference.config import LISTRAK_API_URL, LISTRAK_AUTH_URL, SEGMENT_URLS, parse_lists

ENV = {
    "LISTRAK_AUTH_URL": "http://127.0.0.1:1/OAuth2/Token",
    "LISTRAK_API_URL": "http://127.0.0.1:1/email/v1",
    "LISTRAK_CLIENT_ID": "client",
    "LISTRAK_CLIENT_SECRET": "secret",
    "SEGMENT_API_URL": "http://127.0.0.1:2/v1",
    "SEGMENT_WRITE_KEY": "wk",
    "LISTRAK_SEGMENT_LISTS": '[{"listId": 101, "profileFieldId": 5}, {"listId": 102}]',
    "LISTRAK_SOURCE_REVISION": "2023-08-03",
    "SYNC_STATE_DIR": "/tmp/state",
}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sync.toml"
    path.write_text(text)
    return path


def test_the_cmd_environment_alone_configures_a_sync():
    config = load_config({}, ENV)
    assert config.listrak_auth_url == ENV["LISTRAK_AUTH_URL"]
    assert config.listrak_api_url == ENV["LISTRAK_API_URL"]
    assert (config.listrak_client_id, config.listrak_client_secret) == ("client", "secret")
    assert (config.segment_api_url, config.segment_write_key) == (ENV["SEGMENT_API_URL"], "wk")
    assert config.lists == (ListConfig(101, 5), ListConfig(102))
    assert config.revision == "2023-08-03"
    assert config.state_dir == Path("/tmp/state")
    assert config.trait_prefix == "listrak_list_"


def test_defaults_are_the_real_endpoints_and_the_first_revision():
    env = {k: v for k, v in ENV.items() if not k.endswith(("_URL", "REVISION"))}
    config = load_config({}, env)
    assert (config.listrak_auth_url, config.listrak_api_url) == (LISTRAK_AUTH_URL, LISTRAK_API_URL)
    assert config.segment_api_url == SEGMENT_URLS["us"]
    assert config.revision == "2023-07-13" and config.trait_prefix == "Listrak_list_"


def test_segment_region_eu_chooses_the_eu_endpoint_unless_a_url_is_given():
    env = {k: v for k, v in ENV.items() if k != "SEGMENT_API_URL"}
    assert load_config({"segment_region": "eu"}, env).segment_api_url == SEGMENT_URLS["eu"]
    assert load_config({"segment_region": "eu"}, ENV).segment_api_url == ENV["SEGMENT_API_URL"]


def test_flags_beat_the_environment_which_beats_the_file(tmp_path):
    path = write(
        tmp_path,
        'revision = "2023-07-13"\npage_size = 10\nrequest_timeout = 3\n'
        '[segment]\nwrite_key = "from-file"\n[listrak]\nclient_id = "file-client"\n',
    )
    config = load_config({"segment_write_key": "from-flag"}, ENV, path)
    assert config.segment_write_key == "from-flag"
    assert config.listrak_client_id == "client"  # environment over file
    assert config.revision == "2023-08-03"
    assert (config.page_size, config.request_timeout) == (10, 3.0)  # only the file gives these


def test_a_config_file_alone_configures_a_sync(tmp_path):
    path = write(
        tmp_path,
        'state_dir = "/var/lib/sync"\n[listrak]\nclient_id = "c"\nclient_secret = "s"\n'
        '[segment]\nwrite_key = "wk"\nregion = "eu"\n'
        "[[lists]]\nlist_id = 101\nprofile_field_id = 5\n[[lists]]\nlist_id = 102\n",
    )
    config = load_config({}, {}, path)
    assert config.lists == (ListConfig(101, 5), ListConfig(102))
    assert config.segment_api_url == SEGMENT_URLS["eu"]
    assert config.state_dir == Path("/var/lib/sync")


def test_an_empty_list_of_lists_is_a_sync_with_nothing_to_do_but_no_lists_at_all_is_refused():
    assert load_config({}, {**ENV, "LISTRAK_SEGMENT_LISTS": "[]"}).lists == ()
    without = {k: v for k, v in ENV.items() if k != "LISTRAK_SEGMENT_LISTS"}
    with pytest.raises(ConfigError, match="No lists to sync: set LISTRAK_SEGMENT_LISTS"):
        load_config({}, without)


def test_lists_accept_digit_strings_and_snake_case_keys():
    assert parse_lists('[{"list_id": "7", "profile_field_id": "3"}]', "x") == (ListConfig(7, 3),)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"LISTRAK_SEGMENT_LISTS": '[{"listId": true}]'}, "listId must be a positive integer, saw True"),
        ({"LISTRAK_SEGMENT_LISTS": '[{"listId": 1, "profileFieldId": -5}]'}, "profileFieldId must be a positive"),
        ({"LISTRAK_SEGMENT_LISTS": "[101]"}, "must be an object with listId"),
        ({"SEGMENT_WRITE_KEY": ""}, "Missing SEGMENT_WRITE_KEY"),
        ({"SYNC_STATE_DIR": ""}, "Missing SYNC_STATE_DIR"),
        ({"LISTRAK_SOURCE_REVISION": "latest"}, "Unknown revision 'latest'"),
        ({"SEGMENT_API_URL": "api.segment.io/v1"}, "SEGMENT_API_URL must be an http(s) URL"),
        ({"LISTRAK_AUTH_URL": "http://"}, "LISTRAK_AUTH_URL must be an http(s) URL"),
    ],
)
def test_configuration_that_cannot_work_is_one_sentence(change, fragment):
    with pytest.raises(ConfigError) as caught:
        load_config({}, {**ENV, **change})
    message = str(caught.value)
    assert fragment in message
    assert message.endswith(".") and "\n" not in message


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"page_size": 0}, "page_size must be between 1 and 5000"),
        ({"page_size": 5001}, "page_size must be between 1 and 5000"),
        ({"lists": (ListConfig(1), ListConfig(1))}, "configured twice"),
    ],
)
def test_sync_config_checks_itself(tmp_path, overrides, fragment):
    settings: dict[str, Any] = {
        "listrak_client_id": "c",
        "listrak_client_secret": "s",
        "segment_write_key": "wk",
        "lists": (ListConfig(1),),
        "state_dir": tmp_path,
        **overrides,
    }
    with pytest.raises(ConfigError, match=fragment):
        SyncConfig(**settings)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("page_size = true", "page_size must be a whole number"),
        ('retry_deadline = "later"', "retry_deadline must be a number of seconds"),
        ("segment = 5", "[segment]"),
        ("lists = 5", "must be a list"),
    ],
)
def test_wrong_types_in_the_config_file_name_the_setting_and_the_file(tmp_path, text, fragment):
    path = write(tmp_path, text + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config({}, ENV, path)
    assert fragment in str(caught.value)
    assert str(path) in str(caught.value)


def test_list_flag_takes_list_and_field_ids(tmp_path, capsys):
    assert main(["sync", "--list", "news", "--state-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == "listrak-harness sync: --list takes LIST or LIST:FIELD with numeric ids, got 'news'.\n"
