"""How a socket answers the protocol's own frames: ``subscribe``, ``unsubscribe`` and
``resume`` (docs/protocol.md). Actions are the consumer's; replay and resync are ``recovery``'s.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.core import signing

from . import control, encoding, protocol
from .conf import get_setting
from .exceptions import FrameError
from .frames import ResumeFrame, StreamFrame
from .invocation import answer
from .protocol import FrameType, Status
from .streams import read_stream

if TYPE_CHECKING:
    from .consumers import HyperConsumer

logger = logging.getLogger("hyperchannels")


def _limit() -> int:
    return int(get_setting("MAX_CONCURRENT_ACTIONS"))


async def stream_frame(consumer: HyperConsumer, frame: StreamFrame) -> None:
    """Join (``subscribe``) or leave (``unsubscribe``) the group a signed token names.

    A forged, expired or another user's token is a 403; a subscribe replays from the page's
    ``since`` or the token's position and ends with the group's position.
    """
    try:
        token = read_stream(frame.stream)
    except signing.BadSignature:
        raise FrameError(Status.FORBIDDEN, "Invalid stream token", frame.id) from None
    if consumer.channel_layer is None:
        logger.error("%s got a stream frame but no channel layer is set", type(consumer).__qualname__)
        raise FrameError(Status.SERVER_ERROR, protocol.message("server_error"), frame.id)
    if frame.type is FrameType.UNSUBSCRIBE:
        await consumer.membership.unsubscribe(token.group)
        await consumer.send_frame(encoding.encode_end(frame.id))
        return
    control.check_token_user(token, consumer.scope.get("user"), frame.id)
    consumer.running.admit(frame.id, _limit())
    since = frame.since or token.position

    async def work() -> dict[str, Any]:
        await consumer.membership.subscribe(token.group)
        return await consumer.recovery.subscribed(frame.id, token.group, since)

    owner = type(consumer).__qualname__
    await consumer.running.run(frame.id, answer(frame.id, work(), consumer.send_frame, owner))


async def resume(consumer: HyperConsumer, frame: ResumeFrame) -> None:
    """Replay or resync each named group the socket is in; ``end`` names which."""
    consumer.running.admit(frame.id, _limit())
    work = consumer.recovery.resume(frame.id, frame.positions, consumer.membership.groups)
    owner = type(consumer).__qualname__
    await consumer.running.run(frame.id, answer(frame.id, work, consumer.send_frame, owner))
