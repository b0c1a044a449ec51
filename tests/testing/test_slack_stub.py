"""The Slack stub other tests rely on behaves like Slack where slack-sdk can tell."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError


def test_auth_and_unknown_methods(slack_stub) -> None:
    client = WebClient(token=slack_stub.token, base_url=slack_stub.base_url)
    assert client.auth_test()["user_id"] == "U0STUB"
    with pytest.raises(SlackApiError, match="invalid_auth"):
        WebClient(token="xoxb-wrong", base_url=slack_stub.base_url).auth_test()
    with pytest.raises(SlackApiError, match="unknown_method"):
        client.api_call("no.such.method")


def test_files_upload_v2_with_file_info(slack_stub) -> None:
    client = WebClient(token=slack_stub.token, base_url=slack_stub.base_url)
    done = client.files_upload_v2(content="a,b\n1,2\n", filename="t.csv", channel="C0TEST")
    assert client.files_info(file=done["file"]["id"])["file"]["size"] == 8
    assert slack_stub.uploaded_files[0]["data"] == b"a,b\n1,2\n"
    methods = [c.method for c in slack_stub.calls]
    assert methods == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
        "files.info",
    ]


def test_injected_failures_are_consumed_in_order_and_per_method(slack_stub) -> None:
    client = WebClient(token=slack_stub.token, base_url=slack_stub.base_url)
    slack_stub.api_error_next(1, error="not_in_channel", method="chat.postMessage")
    slack_stub.server_error_next(1, status=503)
    with pytest.raises(SlackApiError) as unavailable:
        client.auth_test()  # the 503 applies to any method; the API error waits for its own
    assert unavailable.value.response.status_code == 503
    with pytest.raises(SlackApiError, match="not_in_channel"):
        client.chat_postMessage(channel="#x", text="hi")
    assert client.chat_postMessage(channel="#x", text="hi")["ok"]
    assert [c.failed for c in slack_stub.calls] == [True, True, False]
    assert slack_stub.messages == [slack_stub.calls[-1].params]
