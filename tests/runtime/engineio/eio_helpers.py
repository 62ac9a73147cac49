"""EnginePair: the sans-IO client and server Engine.IO machines over a fake wire.

Nothing here is mocked: the client produces real request queries and bodies, the
server core answers them with real responses, and websocket frames are passed as the
ASGI layer would pass them. Time is explicit (``pair.now``, ``advance``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from runtime.engineio.client_session import ClientEvent, ClientMessage, ClientSession
from runtime.engineio.config import EngineConfig
from runtime.engineio.core import AcceptWebSocket, AwaitPoll, EngineCore, Respond
from runtime.engineio.events import EngineEvent, MessageReceived, SessionClosed
from runtime.engineio.http import HttpRequest, HttpResponse
from runtime.engineio.session import Session


def make_request(
    method: str = "GET",
    query: str = "EIO=4&transport=polling",
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    *,
    websocket: bool = False,
) -> HttpRequest:
    all_headers = {"host": "example.com"}
    if websocket:
        all_headers["upgrade"] = "websocket"
    all_headers.update(headers or {})
    return HttpRequest(
        method=method,
        path="/engine.io/",
        query_string=query,
        headers=all_headers,
        body=body,
        scheme="http",
    )


def sequential_ids() -> Iterable[str]:
    """Deterministic 20-character sids: sid00000000000000001, ..."""
    return (f"sid{n:017d}" for n in itertools.count(1))


@dataclass
class EnginePair:
    """One client session talking to a server core."""

    config: EngineConfig = field(default_factory=EngineConfig)
    transport: str = "polling"
    now: float = 1000.0
    headers: Mapping[str, str] = field(default_factory=dict)
    core: EngineCore = field(init=False)
    client: ClientSession = field(init=False)
    server_events: list[EngineEvent] = field(default_factory=list)
    client_events: list[ClientEvent] = field(default_factory=list)
    parked: Session | None = None
    parked_request: HttpRequest | None = None
    ws_id: int | None = None
    responses: list[HttpResponse] = field(default_factory=list)
    ws_session: Session | None = None

    def __post_init__(self) -> None:
        ids = iter(sequential_ids())
        self.core = EngineCore(self.config, id_factory=lambda: next(ids))
        self.client = ClientSession(transport=self.transport)

    # -- plumbing ------------------------------------------------------------------

    def _server(self, events: Iterable[EngineEvent]) -> None:
        self.server_events.extend(events)

    def _client(self, events: Iterable[ClientEvent]) -> None:
        self.client_events.extend(events)

    @property
    def session(self) -> Session:
        sid = self.client.sid
        assert sid is not None
        session = self.core.get(sid)
        assert session is not None, "session is not open"
        return session

    def connect(self) -> None:
        """Handshake on the client's transport."""
        if self.client.transport == "polling":
            request = make_request("GET", self.client.handshake_query(), headers=self.headers)
            outcome = self.core.handle_request(request, self.now)
            assert isinstance(outcome, Respond), outcome
            self._server(outcome.events)
            self.responses.append(outcome.response)
            assert outcome.response.status == 200, outcome.response
            self._client(self.client.receive_poll_response(outcome.response.body, self.now))
        else:
            request = make_request(
                "GET", self.client.handshake_query(), headers=self.headers, websocket=True
            )
            ws_outcome = self.core.handle_websocket(request, self.now)
            assert isinstance(ws_outcome, AcceptWebSocket), ws_outcome
            self._server(ws_outcome.events)
            self.ws_id = ws_outcome.ws_id
            self.ws_session = ws_outcome.session
            self.server_to_client_ws()

    def poll(self) -> HttpResponse | None:
        """Issue a GET if the client wants one. Returns the response, or None if parked."""
        query = self.client.poll_query()
        if query is None:
            return None
        request = make_request("GET", query, headers=self.headers)
        outcome = self.core.handle_request(request, self.now)
        self._server(outcome.events)
        if isinstance(outcome, AwaitPoll):
            self.parked = outcome.session
            self.parked_request = request
            return None
        assert isinstance(outcome, Respond)
        self.responses.append(outcome.response)
        if outcome.response.status == 200:
            self._client(self.client.receive_poll_response(outcome.response.body, self.now))
        return outcome.response

    def release_parked(self) -> HttpResponse | None:
        """Answer the parked GET if the server has something for it."""
        if self.parked is None or self.parked_request is None:
            return None
        response = self.core.finish_poll(self.parked, self.parked_request)
        if response is None:
            return None
        self.parked = None
        self.parked_request = None
        self.responses.append(response)
        self._client(self.client.receive_poll_response(response.body, self.now))
        return response

    def post(self) -> HttpResponse | None:
        body = self.client.take_post_body()
        if body is None:
            return None
        request = make_request("POST", self.client.post_query(), body, headers=self.headers)
        outcome = self.core.handle_request(request, self.now)
        assert isinstance(outcome, Respond)
        self._server(outcome.events)
        self.responses.append(outcome.response)
        self._client(self.client.post_done(self.now))
        return outcome.response

    def open_probe(self) -> AcceptWebSocket:
        request = make_request("GET", self.client.ws_query(), headers=self.headers, websocket=True)
        outcome = self.core.handle_websocket(request, self.now)
        assert isinstance(outcome, AcceptWebSocket), outcome
        self.ws_id = outcome.ws_id
        self.client.start_upgrade()
        return outcome

    def client_to_server_ws(self) -> None:
        assert self.ws_id is not None
        session = self._ws_session()
        for frame in self.client.take_ws_frames():
            self._server(self.core.receive_ws(session, self.ws_id, frame, self.now))

    def server_to_client_ws(self) -> None:
        assert self.ws_id is not None
        session = self._ws_session()
        for frame in session.take_ws_frames(self.ws_id):
            self._client(self.client.receive_ws(frame, self.now))

    def _ws_session(self) -> Session:
        if self.ws_session is None:
            self.ws_session = self.session
        return self.ws_session

    def pump(self, rounds: int = 10) -> None:
        """Move everything that can move, like an eager network and driver."""
        for _ in range(rounds):
            if self.client.transport == "polling" and not self.client.closed:
                self.post()
                if self.parked is None:
                    self.poll()
                self.release_parked()
            if self.ws_id is not None:
                self.client_to_server_ws()
                self.server_to_client_ws()
                # the upgrade may have just happened on the client side
                self.client_to_server_ws()
                self.server_to_client_ws()
            self.release_parked()

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self._server(self.core.handle_timer(self.now))
        self._client(self.client.handle_timer(self.now))

    # -- views -----------------------------------------------------------------------

    def received_by_server(self) -> list[str | bytes]:
        return [e.data for e in self.server_events if isinstance(e, MessageReceived)]

    def received_by_client(self) -> list[str | bytes]:
        return [e.data for e in self.client_events if isinstance(e, ClientMessage)]

    def closes(self) -> list[SessionClosed]:
        return [e for e in self.server_events if isinstance(e, SessionClosed)]
