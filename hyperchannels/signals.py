"""Django signals of hyperchannels (docs/presence.md, "Signals").

``presence_joined`` and ``presence_left`` are sent once per key that joins or leaves a group,
cluster-wide, in the one process that made or detected the change. ``sender`` is the group's
name; the keyword arguments are ``key`` (a ``str``) and ``metas`` (the key's metas: a list of
dicts). Receivers may be sync or async; they run after the change was pushed, and one that
raises is logged and affects nothing else.
"""

from __future__ import annotations

from django.dispatch import Signal

presence_joined = Signal()
"""A key's first meta appeared in a group (``sender``: the group; ``key``, ``metas``)."""

presence_left = Signal()
"""A key's last meta went from a group, ``PRESENCE_GRACE`` seconds ago or with its process."""
