"""``PubSubManager``: the pub/sub manager of sync servers (threading, gevent, eventlet).

python-socketio's ``PubSubManager`` API over the logic ``AsyncPubSubManager``
uses (``runtime.pubsub.node``): each operation is applied locally and, when
other nodes may be concerned, published on the channel; a listener running as a
background task of the server's async mode (``server.start_background_task``)
applies what other nodes publish. Backends supply the transport through the
same seams as the asyncio base, as plain functions:

* ``_publish(data)`` sends one message dict. The default encodes it and hands
  the text to an outbox (ordered batches, bounded retries) that calls
  ``_send_batch(payloads)``; python-socketio style subclasses may override
  ``_publish`` itself.
* ``_listen()`` is an iterator of raw messages (``bytes``/``str``/``dict``) from one
  subscription. It raises (or ends) when the connection is lost; the listener
  logs that and calls it again after a capped exponential backoff, for ever.
  It should return within a moment of ``self._closed`` becoming true (poll with
  a timeout), and call ``_listener_up()`` once subscribed.
* ``_close_transport()`` releases the broker connections.

Failure policy: publishing never raises to the emitter; a message that cannot be
published after ``publish_attempts`` tries is dropped and logged at ERROR.

Who waits for the broker: a manager attached to a server publishes from one
sender task of the server's async mode (``QueuedSyncOutbox``), so an emitting
handler returns at once even while the broker is down; at most
``publish_queue_limit`` messages wait (newer ones are dropped, logged), and
``close()`` gives them ``close_timeout`` to leave. A ``write_only`` manager (an
external emitter) publishes in the caller, like python-socketio: ``emit()``
returns once the broker has the message or it was dropped, so a script may exit
right after it.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from runtime.manager import Callback, Manager
from runtime.pubsub import messages as wire
from runtime.pubsub.backoff import Backoff
from runtime.pubsub.cluster import ClusterAnswer, Item
from runtime.pubsub.messages import (
    Bye,
    CloseRoom,
    DisconnectMessage,
    EnterRoom,
    LeaveRoom,
    QueryKind,
)
from runtime.pubsub.node import PubSubCore, target_of
from runtime.pubsub.outbox import QueuedSyncOutbox, SyncOutbox
from runtime.pubsub.queries import SyncClusterQueries
from runtime.rooms import Room

__all__ = ["PubSubManager"]


class PubSubManager(PubSubCore, Manager):
    """python-socketio's ``PubSubManager`` for ``Server`` (threading, gevent, eventlet).

    Its constructor is ``PubSubCore``'s: ``channel``, ``write_only``, ``logger``, ``json``.
    """

    name = "pubsub"

    # How long close() waits for queued messages to leave and the listener to stop (s).
    close_timeout = 5.0
    # Messages that may wait for the broker before new ones are dropped.
    publish_queue_limit = 10000

    _queries_class = SyncClusterQueries
    queries: SyncClusterQueries
    _outbox: SyncOutbox | None

    def _setup(self) -> None:
        self._listener_running = False
        self._setup_lock = threading.Lock()
        self._stopping: Any = None  # set by close(): wakes a listener's backoff

    # -- the server's async mode ----------------------------------------------------
    def _driver(self) -> Any:
        eio = getattr(self.server, "eio", None)
        return getattr(eio, "driver", None)

    def _spawn(self, target: Callable[..., Any], *args: Any) -> Any:
        """A long-running background task of the server's async mode (a thread without one)."""
        driver = self._driver()
        if driver is not None:
            return driver.spawn(target, *args)
        thread = threading.Thread(target=target, args=args, daemon=True, name=f"{self.name}")
        thread.start()
        return thread

    def _submit(self, target: Callable[..., Any], *args: Any) -> None:
        """Run a short job without holding up the caller."""
        driver = self._driver()
        if driver is not None:
            driver.submit(target, *args)
        else:
            threading.Thread(target=target, args=args, daemon=True).start()

    def _sleep(self, seconds: float) -> None:
        driver = self._driver()
        if driver is not None:
            driver.sleep(seconds)
        else:
            time.sleep(seconds)

    def _event(self) -> Any:
        driver = self._driver()
        return driver.event() if driver is not None else threading.Event()

    # -- python-socketio's manager API ---------------------------------------------
    def initialize(self) -> None:
        super().initialize()
        if not self.write_only:
            self._start_listener()
        self._get_logger().info("%s backend initialized.", self.name)

    def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Room | Iterable[Room] = None,
        skip_sid: str | Iterable[str] | None = None,
        callback: Callback | None = None,
        to: Room | Iterable[Room] = None,
        **kwargs: Any,
    ) -> None:
        """Emit to local recipients and publish for the other nodes."""
        target = to if to is not None else room
        ignore_queue = bool(kwargs.get("ignore_queue"))
        message = self._route_emit(
            event, data, namespace or "/", target, skip_sid, callback, ignore_queue
        )
        if message is not None:
            self._publish(message)

    def can_disconnect(self, sid: str, namespace: str) -> bool:
        if self.is_connected(sid, namespace):
            return True
        # The client is on another node: ask it to disconnect the client.
        self._publish(wire.encode(DisconnectMessage(sid, namespace or "/", self.host_id)))
        return False

    def disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        if kwargs.get("ignore_queue"):
            self.basic_disconnect(sid, namespace or "/")
        elif message := self._remote_message(DisconnectMessage, sid, namespace or "/"):
            self._publish(message)

    def enter_room(self, sid: str, namespace: str, room: str, eio_sid: str | None = None) -> None:
        if eio_sid is not None:
            self.basic_enter_room(sid, namespace or "/", room, eio_sid)
        elif message := self._remote_message(EnterRoom, sid, namespace or "/", room):
            self._publish(message)

    def leave_room(self, sid: str, namespace: str, room: str) -> None:
        if message := self._remote_message(LeaveRoom, sid, namespace or "/", room):
            self._publish(message)

    def close_room(self, room: str, namespace: str | None = None) -> None:
        self.basic_close_room(room, namespace or "/")
        self._publish(wire.encode(CloseRoom(room, namespace or "/", self.host_id)))

    def trigger_callback(self, sid: str, id: int, data: list[Any]) -> None:
        self._run_callback(sid, id, data)

    def _generate_remote_ack_id(self, sid: str, callback: Callback) -> int:
        with self._lock:
            return super()._generate_remote_ack_id(sid, callback)

    # -- cluster-wide membership (runtime extension) ---------------------------
    def get_participants_cluster(
        self, namespace: str = "/", room: Room | Iterable[Room] = None, timeout: float = 1.0
    ) -> list[Item]:
        """The sids in ``room`` (a room, a list of rooms, or None for all) on every node."""
        return self.query_cluster(
            QueryKind.PARTICIPANTS, namespace, room=room, timeout=timeout
        ).merged()

    def get_rooms_cluster(self, sid: str, namespace: str = "/", timeout: float = 1.0) -> list[Item]:
        """The rooms of ``sid`` (its own sid room included), wherever it is connected."""
        if self.registry.is_connected(sid, namespace):
            return list(self.get_rooms(sid, namespace))
        return self.query_cluster(QueryKind.ROOMS, namespace, sid=sid, timeout=timeout).merged()

    def query_cluster(
        self,
        kind: QueryKind,
        namespace: str = "/",
        *,
        room: Room | Iterable[Room] = None,
        sid: str | None = None,
        timeout: float = 1.0,
    ) -> ClusterAnswer:
        """Ask every runtime node; wait until all known nodes answered or ``timeout``."""
        if self.write_only:
            raise RuntimeError("A write-only manager cannot query the cluster.")
        self._start_listener()
        return self.queries.ask(kind, namespace, target_of(room), sid, timeout)

    # -- transport seams ----------------------------------------------------------
    def _publish(self, data: dict[str, Any]) -> None:
        """Publish one message dict (override for a python-socketio style backend)."""
        outbox = self._outbox
        if outbox is None:
            with self._setup_lock:
                if self._outbox is None:
                    self._outbox = self._new_outbox()
                outbox = self._outbox
        outbox.put(self._codec.dumps(data))

    def _new_outbox(self) -> SyncOutbox:
        driver = self._driver()
        options: dict[str, Any] = {
            "attempts": self.publish_attempts,
            "backoff": Backoff(self.publish_backoff_initial, self.publish_backoff_max),
            "name": f"{self.name} publish",
            "lock": driver.lock if driver is not None else threading.Lock,
            "sleep": self._sleep,
        }
        if self.write_only:
            return SyncOutbox(self._send_batch, self._get_logger(), **options)
        return QueuedSyncOutbox(
            self._send_batch,
            self._get_logger(),
            spawn=self._spawn,
            event=self._event,
            limit=self.publish_queue_limit,
            **options,
        )

    def _send_batch(self, payloads: list[str]) -> None:
        """Send encoded messages, in order; raise if the broker did not take them."""
        raise NotImplementedError("This method must be implemented in a subclass.")

    def _listen(self) -> Iterator[Any]:
        """Messages from one subscription to the channel; raise or end when it is lost."""
        raise NotImplementedError("This method must be implemented in a subclass.")

    def _close_transport(self) -> None:
        """Release broker connections (backends override)."""

    # -- listener -------------------------------------------------------------------
    def _start_listener(self) -> None:
        if self.write_only or self._closed:
            return
        with self._setup_lock:
            if not self._listener_running:
                self._listener_running = True
                # An event of the async mode: a greenlet's backoff must yield to the hub.
                self._stopping = self._event()
                self.thread = self._spawn(self._thread)

    def _listener_up(self) -> None:
        """Called by a backend once subscribed (and by the listener at the first message)."""
        self._mark_listening()

    def _publish_soon(self, data: dict[str, Any]) -> None:
        self._submit(self._publish, data)

    def _thread(self) -> None:
        """Apply what other nodes publish; reconnect for ever with capped backoff."""
        self._new_listen_backoff()
        try:
            while not self._closed:
                try:
                    source = self._listen()
                    try:
                        for raw in source:
                            if self._closed:
                                break
                            self._mark_listening()
                            self._handle_raw(raw)
                    finally:
                        close = getattr(source, "close", None)
                        if close is not None:
                            close()
                    problem = "listen() ended"
                except Exception as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                if self._closed:
                    break
                self._stopping.wait(self._listener_failed(problem))
        finally:
            self.listening = False
            self._listener_running = False

    def _run_callback(self, sid: str, ack_id: int, args: list[Any]) -> None:
        callback = self._pop_callback(sid, ack_id)
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:
            self._get_logger().exception("ack callback error")

    def _ack_relay(self, host_id: str, sid: str, namespace: str, ack_id: int) -> Callback:
        return functools.partial(self._return_callback, host_id, sid, namespace, ack_id)

    def _return_callback(
        self, host_id: str, sid: str, namespace: str, ack_id: int, *args: Any
    ) -> None:
        if host_id == self.host_id:
            self._run_callback(sid, ack_id, list(args))
        elif message := self._callback_message(host_id, sid, namespace, ack_id, args):
            self._publish(message)

    def _disconnect_here(self, sid: str, namespace: str) -> None:
        # The disconnect handler is user code: it must not hold up the listener.
        self._submit(self.server.disconnect, sid, namespace, True)  # type: ignore[union-attr]

    # -- shutdown ---------------------------------------------------------------------
    def close(self) -> None:
        """Say goodbye to the cluster, stop the listener and release connections."""
        if self._closed:
            return
        if self.listening:
            try:
                self._publish(wire.encode(Bye(self.host_id)))
            except Exception:
                self._get_logger().debug("could not say goodbye", exc_info=True)
        self._closed = True
        if self._stopping is not None:
            self._stopping.set()
        if isinstance(self._outbox, QueuedSyncOutbox):
            self._outbox.close(self.close_timeout)
        elif self._outbox is not None:
            self._outbox.close()
        thread = self.thread
        if thread is not None and thread is not threading.current_thread():
            try:
                thread.join(self.close_timeout)
            except Exception:
                self._get_logger().debug("listener join failed", exc_info=True)
        self.listening = False
        self._close_transport()
