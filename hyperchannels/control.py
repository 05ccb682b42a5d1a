"""A consumer's side of access and limits (docs/security.md): the checks an action frame
passes before its method runs, a user-bound stream token, and what a socket does when told to
close (``hyper.close``), when revoked from a group (``hyper.revoke``) or when it reads too slowly.

``HyperConsumer`` calls these; they keep its own module about the socket's life.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from . import encoding, protocol
from .access import TokenBucket, check_login, forbidden, has_permissions, rate_limited, rate_setting
from .actions import ActionSpec
from .bridge import SocketThreads
from .conf import get_setting
from .groups import PUSH_MESSAGE_TYPE
from .protocol import CloseCode, EventName, Status
from .streams import StreamToken

logger = logging.getLogger("hyperchannels")

SendError = Callable[[int, str, "str | None"], Awaitable[None]]


def new_bucket() -> TokenBucket | None:
    """A socket's rate allowance under ``RATE_LIMIT`` (``None``: no limit)."""
    setting = rate_setting(get_setting("RATE_LIMIT"))
    return None if setting is None else TokenBucket(*setting)


def admit_action(bucket: TokenBucket | None, spec: ActionSpec | None, user: Any, frame_id: str) -> None:
    """Checks made before anything else of an action frame: rate (429), then sign-in (401)."""
    if bucket is not None and not bucket.take():
        raise rate_limited(frame_id)
    if spec is not None:
        check_login(spec, user, frame_id)


async def run_permitted(
    spec: ActionSpec,
    user: Any,
    threads: SocketThreads,
    frame_id: str,
    send_error: SendError,
    run: Callable[[], Awaitable[None]],
) -> None:
    """Run the invocation only if ``user`` holds every permission the action names (403
    otherwise); ``has_perm`` may query the database, so it runs in a worker thread."""
    try:
        allowed = await threads.run(has_permissions, spec, user)
    except asyncio.CancelledError:
        await send_error(Status.CANCELLED, protocol.message("cancelled"), frame_id)
        return
    if not allowed:
        await send_error(Status.FORBIDDEN, protocol.message("forbidden"), frame_id)
        return
    await run()


def check_token_user(token: StreamToken, user: Any, frame_id: str) -> None:
    """A token signed for one user subscribes only that user's sockets (403 for any other)."""
    if token.user is None:
        return
    pk = getattr(user, "pk", None) if user is not None and user.is_authenticated else None
    if pk is None or str(pk) != token.user:
        raise forbidden(frame_id)


def inbox_bytes(message: dict[str, Any]) -> int:
    """What a layer message adds to a socket's unsent frames (a push's frames)."""
    if message.get("type") != PUSH_MESSAGE_TYPE:
        return 0
    frames = message.get("frames")
    return sum(len(text) for text in frames) if isinstance(frames, list) else 0


def revoked_frame(group: str) -> str:
    """The ``revoked`` push: the page forgets its token for ``group``."""
    return encoding.encode_frame(EventName.REVOKED, {"group": group})


def revokes_me(message: dict[str, Any], user: Any) -> bool:
    """Whether a ``hyper.revoke`` message names this socket's user (or every user)."""
    wanted = message.get("user")
    if wanted is None:
        return True
    pk = getattr(user, "pk", None) if user is not None and user.is_authenticated else None
    return pk is not None and str(pk) == wanted


def close_code(message: dict[str, Any]) -> int:
    """The code of a ``hyper.close`` message (4000 when it names none that is valid)."""
    code = message.get("code")
    if isinstance(code, int) and not isinstance(code, bool) and (code == 1000 or 3000 <= code <= 4999):
        return code
    return int(CloseCode.GROUP_CLOSED)

