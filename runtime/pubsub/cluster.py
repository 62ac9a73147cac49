"""Cluster-wide room membership: who the runtime peers are, and which answers are due.

Sans-IO bookkeeping behind ``get_participants_cluster`` / ``get_rooms_cluster``.
A node asks a question on the channel (``runtime:query``); every runtime node
answers with its local view (``runtime:reply``). The asker cannot know how many
nodes exist from the broker, so it keeps a peer set:

* a node announces itself (``runtime:hello``) each time its listener subscribes,
  and every node that hears a first announcement answers with its own, so a
  newcomer learns the existing nodes within one round trip;
* ``runtime:bye`` on a clean shutdown removes a peer at once;
* a peer that misses an answer deadline is dropped (the answer is marked
  incomplete and names it); any later message from it adds it back.

A query is complete when every peer known when it was asked has answered. Only
runtime nodes answer: sockets on python-socketio nodes of a mixed cluster are
not visible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ClusterAnswer", "ClusterView", "Item", "PendingQuery"]

# A sid or a room name (python-socketio rooms may be integers).
Item = str | int


@dataclass(frozen=True, slots=True)
class ClusterAnswer:
    """What the cluster said: items per host (this host included)."""

    items: dict[str, list[Item]]
    complete: bool
    missing: frozenset[str] = frozenset()

    def merged(self) -> list[Item]:
        """All items once each, in host order then item order."""
        seen: dict[Item, None] = {}
        for items in self.items.values():
            for item in items:
                seen.setdefault(item, None)
        return list(seen)


@dataclass(slots=True)
class PendingQuery:
    """A query waiting for answers."""

    request_id: str
    waiting: set[str]
    answers: dict[str, list[Item]]
    first_hit: bool = False  # complete at the first non-empty answer (a sid lives on one host)
    done: bool = field(default=False)

    def _check(self) -> bool:
        if not self.waiting or (self.first_hit and any(self.answers.values())):
            self.done = True
        return self.done


class ClusterView:
    """The peers this node knows of and the queries it is waiting on."""

    __slots__ = ("host_id", "peers", "pending")

    def __init__(self, host_id: str) -> None:
        self.host_id = host_id
        self.peers: dict[str, float] = {}  # host_id -> when last heard from
        self.pending: dict[str, PendingQuery] = {}

    # -- membership ------------------------------------------------------------
    def seen(self, host_id: str, now: float) -> bool:
        """Note that ``host_id`` is alive; True if it was not known."""
        if host_id == self.host_id:
            return False
        new = host_id not in self.peers
        self.peers[host_id] = now
        return new

    def forget(self, host_id: str) -> None:
        self.peers.pop(host_id, None)
        # Nobody waits for a node that said goodbye.
        for query in self.pending.values():
            query.waiting.discard(host_id)
            query._check()

    # -- queries ---------------------------------------------------------------
    def open_query(
        self, request_id: str, local_items: list[Item], first_hit: bool = False
    ) -> PendingQuery:
        """Start waiting for every known peer; ``done`` is already true if there is none."""
        query = PendingQuery(
            request_id,
            waiting=set(self.peers),
            answers={self.host_id: local_items},
            first_hit=first_hit,
        )
        if not query._check():
            self.pending[request_id] = query
        return query

    def on_reply(
        self, request_id: str, sender: str, items: list[Item], now: float
    ) -> PendingQuery | None:
        """Record an answer; return the query if this answer completed it."""
        self.seen(sender, now)
        query = self.pending.get(request_id)
        if query is None or query.done:
            return None  # late or foreign: it still proved the sender alive
        query.answers[sender] = items
        query.waiting.discard(sender)
        return query if query._check() else None

    def close_query(self, request_id: str) -> ClusterAnswer | None:
        """Stop waiting; peers that did not answer an unfinished query are dropped."""
        query = self.pending.pop(request_id, None)
        if query is None:
            return None
        missing = frozenset(query.waiting) if not query.done else frozenset()
        for host_id in missing:
            self.peers.pop(host_id, None)
        return ClusterAnswer(dict(query.answers), complete=not missing, missing=missing)

    def answer_now(self, query: PendingQuery) -> ClusterAnswer:
        """The answer of a query that completed without waiting (no peers)."""
        self.pending.pop(query.request_id, None)
        return ClusterAnswer(dict(query.answers), complete=True)
