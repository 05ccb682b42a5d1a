"""``hyperchannels.servers``: what the library must know of one server's internals."""

from __future__ import annotations

import functools
import logging
from typing import Any

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


class FakeAutobahn:
    """Stands for the autobahn protocol inside daphne's ``send`` (``partial(handle_reply, protocol)``)."""

    def __init__(self, state: int) -> None:
        self.state = state
        self.sent: list[int] = []

    def sendCloseFrame(self, code: int, reasonUtf8: bytes | None, isReply: bool) -> None:  # noqa: N802, N803
        self.sent.append(code)


def daphne_like_send(protocol: FakeAutobahn) -> Any:
    async def handle_reply(protocol: FakeAutobahn, message: dict[str, object]) -> None:
        raise AssertionError("close_directly must deal with this close itself")

    return functools.partial(handle_reply, protocol)


@pytest.mark.parametrize("state", [0, 2])  # autobahn's STATE_CLOSED, STATE_CLOSING
def test_a_1011_to_a_socket_already_closing_on_daphne_sends_nothing_and_raises_nothing(state: int) -> None:
    """The client left while ``connect()`` ran: autobahn would raise for 1011 ("invalid close
    code") and the exception end the application before the socket let go of its presence."""
    protocol = FakeAutobahn(state)
    assert servers.close_directly(daphne_like_send(protocol), 1011)
    assert protocol.sent == []


def test_a_1011_on_daphne_is_sent_directly_when_open_and_left_to_daphne_while_connecting() -> None:
    open_protocol = FakeAutobahn(3)
    assert servers.close_directly(daphne_like_send(open_protocol), 1011)
    assert open_protocol.sent == [1011]
    connecting = FakeAutobahn(1)  # daphne refuses the handshake (403) for any websocket.close
    assert not servers.close_directly(daphne_like_send(connecting), 1011)
    assert connecting.sent == []


def test_the_servers_ways_of_saying_the_client_left_are_known() -> None:
    from autobahn.exception import Disconnected

    assert servers.is_client_gone(ClientDisconnected())  # uvicorn
    assert servers.is_client_gone(Disconnected("Attempt to send on a closed protocol"))  # daphne
    assert not servers.is_client_gone(RuntimeError("Attempt to send on a closed protocol"))
    assert not servers.is_client_gone(ConnectionResetError())


async def test_the_outbox_drops_frames_for_a_client_that_left_and_raises_other_faults() -> None:
    from autobahn.exception import Disconnected

    from hyperchannels.outbox import Outbox

    sent: list[str] = []
    fault: list[Exception] = []

    async def send(message: dict[str, Any]) -> None:
        if fault:
            raise fault[0]
        sent.append(message["text"])

    outbox = Outbox(send, 1_000_000, lambda: None)
    await outbox.send("one")
    fault.append(ValueError("a bug of the server's"))
    with pytest.raises(ValueError):
        await outbox.send("two")
    assert not outbox.gone
    fault[0] = Disconnected("Attempt to send on a closed protocol")
    await outbox.send("three")  # dropped, no exception
    assert outbox.gone
    fault.clear()
    await outbox.send("four")  # nothing more is sent once the client left
    assert sent == ["one"]
