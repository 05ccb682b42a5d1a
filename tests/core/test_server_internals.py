"""``hyperchannels.servers``: what the library must know of one server's internals."""

from __future__ import annotations

import logging

import pytest
from uvicorn.protocols.utils import ClientDisconnected

from hyperchannels import servers


def test_a_client_that_left_mid_handshake_is_one_info_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="hyperchannels"):
        assert servers.client_gone(ClientDisconnected(), "Board", "/ws/board/1/")
        assert not servers.client_gone(ConnectionResetError(), "Board", "/ws/board/1/")  # not uvicorn's sign
        assert not servers.client_gone(ValueError("bad"), "Board", "/ws/board/1/")
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, "Board: the client left while its socket on /ws/board/1/ was opening")
    ]


def test_close_directly_leaves_codes_daphne_sends_and_other_servers_alone() -> None:
    async def uvicorn_send(message: dict[str, object]) -> None:  # not daphne's partial
        raise AssertionError("close_directly must not send")

    assert not servers.close_directly(uvicorn_send, 1012)
    assert not servers.close_directly(uvicorn_send, 4000)
    assert not servers.close_directly(uvicorn_send, None)
