"""Every literal block of the user guides, classified.

``run``    an example executed unchanged on ``runtime`` by the test named
           in ``test`` (in a test_guide_*.py module).
``later``  an example for a feature not served yet (some message queues):
           skipped, with the issue it waits for. When the guide describes the
           same feature for asyncio (guide lines 11-12: "the methods in the two
           servers are the same, [...] in the asyncio server most methods are
           implemented as coroutines"), ``asyncio_form`` names the test that runs
           that coroutine form (mostly in test_guide_sections.py).
``prose``  not a server program: pip lines and shell commands for other tools.

Keys are ``guide:section#index`` (see extract.py); ``digest`` is the block text's
hash, so an edited block fails test_catalogue until it is looked at again, and
``line`` is where the block starts, for people reading this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    RUN = "run"
    LATER = "later"
    PROSE = "prose"


class Issue(StrEnum):
    """The later issues blocks wait for."""

    SYNC_SERVER = "sync-server"  # socketio.Server / socketio.Namespace, threading mode
    WSGI = "wsgi"  # WSGIApp / Middleware and WSGI servers (gunicorn threads)
    GEVENT = "gevent"  # gevent, gevent-websocket, gevent_uwsgi
    EVENTLET = "eventlet"
    AIOHTTP = "aiohttp"
    TORNADO = "tornado"
    SANIC = "sanic"
    MESSAGE_QUEUE = "message-queue"  # Redis, Kombu, Kafka, AioPika managers
    ADMIN_UI = "admin-ui"  # instrument()
    GUNICORN = "gunicorn"  # gunicorn with uvicorn workers


@dataclass(frozen=True, slots=True)
class Entry:
    kind: Kind
    line: int
    digest: str
    reason: str
    test: str | None = None  # run: the test executing the block
    issue: Issue | None = None  # later: what it waits for
    asyncio_form: str | None = None  # later: the test running its coroutine form


def run(line: int, digest: str, test: str, reason: str) -> Entry:
    return Entry(Kind.RUN, line, digest, reason, test=test)


def later(
    line: int, digest: str, issue: Issue, reason: str, asyncio_form: str | None = None
) -> Entry:
    return Entry(Kind.LATER, line, digest, reason, issue=issue, asyncio_form=asyncio_form)


def prose(line: int, digest: str, reason: str) -> Entry:
    return Entry(Kind.PROSE, line, digest, reason)


_SYNC_CALL = "sync Server form: on AsyncServer the call is a coroutine that is never awaited"

CATALOGUE: dict[str, Entry] = {
    # --- guide: the python-socketio server guide -----------------------------
    "guide:Installation#1": prose(20, "a899bbd93b63", "pip install line"),
    "guide:Installation#2": prose(26, "3f17b5d042c8", "pip install line"),
    "guide:Creating a Server Instance#1": run(
        33, "6ac6b25144a3", "test_sync_server_as_wsgi_app", "socketio.Server()"
    ),
    "guide:Creating a Server Instance#2": run(
        41, "1bf4d9785c32", "test_create_async_server", "AsyncServer() serves clients"
    ),
    "guide:Running as a WSGI Application#1": run(
        61, "2c1399170c45", "test_sync_server_as_wsgi_app", "socketio.WSGIApp"
    ),
    "guide:Running as a WSGI Application#2": run(
        72,
        "eb9cce7c8662",
        "test_wsgi_app_with_other_app",
        "socketio.WSGIApp with a Flask/Django app",
    ),
    "guide:Running as an ASGI Application#1": run(
        81, "a5fef4fa0537", "test_asgi_app", "ASGIApp(sio) serves clients"
    ),
    "guide:Running as an ASGI Application#2": run(
        91,
        "a3118e05b915",
        "test_asgi_app_with_other_app",
        "other ASGI app gets non-Socket.IO traffic",
    ),
    "guide:Serving Static Files#1": run(
        106, "bf85bac02e0c", "test_static_files_by_url", "URL -> file rules, content types"
    ),
    "guide:Serving Static Files#2": run(
        125, "d745dbb2d873", "test_static_files_explicit_content_type", "explicit content_type"
    ),
    "guide:Serving Static Files#3": run(
        132, "e1a52b7de052", "test_static_files_directory", "directory rule, index.html"
    ),
    "guide:Serving Static Files#4": run(
        148, "c9d7f74b55f2", "test_static_files_default_filename", "'' sets the default file"
    ),
    "guide:Serving Static Files#5": run(
        157, "a15e6b426dbb", "test_static_files_default_content_type", "'' with content_type"
    ),
    "guide:Serving Static Files#6": run(
        165,
        "4f88fdb16c8b",
        "test_static_files_on_wsgi",
        "starts with socketio.Server + WSGIApp; its ASGI half is the epilogue of every static-files test",
    ),
    "guide:Listening to Events#1": run(
        201, "1165c97a2b5e", "test_listening_plain_handlers", "plain handlers on AsyncServer"
    ),
    "guide:Listening to Events#2": run(
        216, "9e5806ee050a", "test_listening_coroutine_handler", "coroutine handler"
    ),
    "guide:Connect and Disconnect Events#1": run(
        230, "a81fe22388ac", "test_connect_disconnect_prints", "connect/disconnect handlers"
    ),
    "guide:Connect and Disconnect Events#2": run(
        255, "7bd2a3404ffd", "test_connect_refused", "ConnectionRefusedError rejects"
    ),
    "guide:Connect and Disconnect Events#3": run(
        262, "619004c7e171", "test_disconnect_reasons", "sio.reason constants"
    ),
    "guide:Catch-All Event Handlers#1": run(
        280, "635aa9936368", "test_catch_all_plain", "'*' handler gets (event, sid, data)"
    ),
    "guide:Catch-All Event Handlers#2": run(
        286, "d4e27073a640", "test_catch_all_coroutine", "'*' coroutine handler"
    ),
    "guide:Emitting Events to Clients#1": run(
        303,
        "f2e2b5b58833",
        "test_emit_broadcast",
        "sync Server form: on AsyncServer the call is a coroutine that is never awaited",
    ),
    "guide:Emitting Events to Clients#2": run(
        316,
        "9cd663dbc027",
        "test_emit_to_one_client",
        "sync Server form: on AsyncServer the call is a coroutine that is never awaited",
    ),
    "guide:Acknowledging Events#1": run(
        332, "2a6f07713314", "test_handler_return_is_the_ack", "returned tuple is the ack"
    ),
    "guide:Requesting Client Acknowledgements#1": run(
        350,
        "20ff92ab2bb6",
        "test_call_waits_for_ack",
        "sync Server form: on AsyncServer the call is a coroutine that is never awaited",
    ),
    "guide:Requesting Client Acknowledgements#2": run(
        358,
        "ef26f063d6e8",
        "test_emit_callback",
        "sync Server form: on AsyncServer the call is a coroutine that is never awaited",
    ),
    "guide:Rooms#1": run(
        382,
        "d8593d9ae879",
        "test_rooms_enter_leave",
        "sync Server form: on AsyncServer the call is a coroutine that is never awaited",
    ),
    "guide:Rooms#2": run(
        398,
        "cea1e79313db",
        "test_rooms_skip_sid",
        "sync Server form: on AsyncServer the call is a coroutine that is never awaited",
    ),
    "guide:Decorator-Based Namespaces#1": run(
        422, "2de2dd7060b4", "test_decorator_namespace", "handlers in /chat"
    ),
    "guide:Class-Based Namespaces#1": run(
        447, "d59c730fc59a", "test_sync_class_based_namespace", "socketio.Namespace (sync)"
    ),
    "guide:Class-Based Namespaces#2": run(
        463, "24e82b9141d6", "test_class_based_namespace", "AsyncNamespace registered on /test"
    ),
    "guide:Catch-All Namespaces#1": run(
        504, "a35a64725007", "test_catch_all_namespace_event", "namespace='*' handler"
    ),
    "guide:Catch-All Namespaces#2": run(
        514, "78f94d11d91d", "test_catch_all_namespace_class", "class registered for '*'"
    ),
    "guide:Catch-All Namespaces#3": run(
        519, "7a472abfd0ef", "test_catch_all_event_and_namespace", "'*' event in '*' namespace"
    ),
    "guide:User Sessions#1": run(
        537,
        "badf37001a82",
        "test_sync_sessions",
        "sync Server form: on AsyncServer the call is a coroutine that is never awaited (its asyncio form is line 549)",
    ),
    "guide:User Sessions#2": run(
        549, "37e7da50bdd5", "test_session_save_get", "save_session / get_session"
    ),
    "guide:User Sessions#3": run(
        561,
        "fc9e71996f9a",
        "test_sync_sessions",
        "`with sio.session()` (its asyncio form is line 574)",
    ),
    "guide:User Sessions#4": run(
        574, "07450ad770d8", "test_session_context_manager", "async with sio.session()"
    ),
    "guide:Monitoring and Administration#1": run(
        627,
        "7b877bd072d4",
        "test_admin_ui_instrumentation",
        "socketio.Server + instrument() for the Admin UI",
    ),
    "guide:Debugging and Troubleshooting#1": run(
        654,
        "e4babcfb6052",
        "test_logger_options",
        "starts with socketio.Server(logger=True, ...); its asyncio line is run alone",
    ),
    "guide:Concurrency and Web Server Integration#1": run(
        679, "f45cc6da762c", "test_threading_mode", "Server(async_mode='threading')"
    ),
    "guide:Gunicorn#1": run(
        734, "a0efe3f5baba", "test_gunicorn_threaded_module", "threading Server + WSGIApp"
    ),
    "guide:Gunicorn#2": run(
        742, "f95bf8bcd6f2", "test_gunicorn_with_other_wsgi_app", "WSGIApp with other_wsgi_app"
    ),
    "guide:Gunicorn#3": run(
        748, "d89835d99365", "test_gunicorn_threaded_command", "shell: gunicorn threaded worker"
    ),
    "guide:Uvicorn (and other ASGI web servers)#1": run(
        782, "db2509af6502", "test_uvicorn_module", "async_mode='asgi' + ASGIApp"
    ),
    "guide:Uvicorn (and other ASGI web servers)#2": run(
        790, "1e7fcdcba33d", "test_uvicorn_with_other_asgi_app", "ASGIApp(sio, other_asgi_app)"
    ),
    "guide:Uvicorn (and other ASGI web servers)#3": run(
        795, "496e66fa7363", "test_uvicorn_command", "shell: uvicorn --port N module:app"
    ),
    "guide:Uvicorn (and other ASGI web servers)#4": run(
        799,
        "aa1db531ef75",
        "test_gunicorn_uvicorn_worker_command",
        "gunicorn with uvicorn workers; the command as printed has no module:app",
    ),
    "guide:Aiohttp#1": run(820, "40bd7f7a2577", "test_aiohttp_attach", "async_mode='aiohttp'"),
    "guide:Aiohttp#2": run(
        824, "f8f5b1134077", "test_aiohttp_attach", "sio.attach(web.Application())"
    ),
    "guide:Aiohttp#3": run(833, "f864f314bd17", "test_aiohttp_attach", "web.run_app(app)"),
    "guide:Gevent#1": run(848, "bcfc911a82e9", "test_gevent_pywsgi", "Server(async_mode='gevent')"),
    "guide:Gevent#2": run(853, "a953c017ccf7", "test_gevent_pywsgi", "WSGIApp for gevent"),
    "guide:Gevent#3": run(
        860, "6bc3a27a8a51", "test_gevent_with_other_wsgi_app", "WSGIApp with other_wsgi_app"
    ),
    "guide:Gevent#4": run(866, "a5b97630355d", "test_gevent_pywsgi", "pywsgi.WSGIServer"),
    "guide:Gevent with Gunicorn#1": run(
        877, "78735bc2b699", "test_gunicorn_green_worker_command", "shell: gunicorn -k gevent"
    ),
    "guide:Gevent with uWSGI#1": run(
        898, "89b72e80ad31", "test_uwsgi_gevent_command", "Server(async_mode='gevent_uwsgi')"
    ),
    "guide:Gevent with uWSGI#2": run(
        908, "604dabbc6471", "test_uwsgi_gevent_command", "shell: uwsgi --gevent"
    ),
    "guide:Tornado#1": run(918, "0ec3c3bb41b3", "test_tornado_handler", "async_mode='tornado'"),
    "guide:Tornado#2": run(923, "52167f82ad85", "test_tornado_handler", "get_tornado_handler"),
    "guide:Tornado#3": run(936, "6a1473d07a1e", "test_tornado_handler", "tornado IOLoop"),
    "guide:Eventlet#1": run(
        956, "bc1f5113377d", "test_eventlet_wsgi_server", "Server(async_mode='eventlet')"
    ),
    "guide:Eventlet#2": run(
        961, "60ed7c8ba299", "test_eventlet_wsgi_server", "eventlet.wsgi.server"
    ),
    "guide:Eventlet with Gunicorn#1": run(
        973, "6fb2f0be9995", "test_gunicorn_green_worker_command", "shell: gunicorn -k eventlet"
    ),
    "guide:Redis#1": prose(1017, "00c25a97ddeb", "pip install line"),
    "guide:Redis#2": run(
        1024,
        "62a5ba5b6cb9",
        "test_redis_manager_and_external_emitter",
        "RedisManager serves; its AsyncRedisManager half is built too",
    ),
    "guide:Kombu#1": prose(1042, "05466cc4b1e4", "pip install line"),
    "guide:Kombu#2": prose(1049, "06fe20438e60", "pip install line"),
    "guide:Kombu#3": run(1053, "6d256a7c0768", "test_kombu_manager", "KombuManager('amqp://')"),
    "guide:Kafka#1": prose(1072, "d223d5d49a19", "pip install line"),
    "guide:Kafka#2": run(1077, "d1daa2b21725", "test_kafka_manager", "KafkaManager('kafka://')"),
    "guide:AioPika#1": prose(1090, "c6eeb33df387", "pip install line"),
    "guide:AioPika#2": run(
        1095, "4e94ac988a20", "test_aiopika_manager", "AsyncAioPikaManager('amqp://')"
    ),
    "guide:Emitting from external processes#1": run(
        1128,
        "5f8ee72ad06f",
        "test_redis_manager_and_external_emitter",
        "write-only RedisManager reaches a room of a server",
    ),
    # --- deploy: the older deployment notes ------------------------------------
    "deploy:aiohttp#1": run(
        18, "40bd7f7a2577", "test_aiohttp_attach", "async_mode='aiohttp' (= the guide's)"
    ),
    "deploy:aiohttp#2": run(
        22, "f8f5b1134077", "test_aiohttp_attach", "sio.attach(web.Application()) (= the guide's)"
    ),
    "deploy:aiohttp#3": run(31, "f864f314bd17", "test_aiohttp_attach", "web.run_app (= guide's)"),
    "deploy:Tornado#1": run(
        46, "0ec3c3bb41b3", "test_tornado_deploy_notes_route", "async_mode='tornado'"
    ),
    "deploy:Tornado#2": run(
        51,
        "56e781c2c683",
        "test_tornado_deploy_notes_route",
        "get_tornado_handler mounted at /socketio.io/ (sic): served there",
    ),
    "deploy:Tornado#3": run(64, "6a1473d07a1e", "test_tornado_deploy_notes_route", "IOLoop"),
    "deploy:Sanic#1": run(77, "da42d2aba85d", "test_sanic_attach", "async_mode='sanic'"),
    "deploy:Sanic#2": run(
        81,
        "f8f5b1134077",
        "test_sanic_attach",
        "sio.attach(app) (the notes show aiohttp's web.Application(); the prelude makes it Sanic's)",
    ),
    "deploy:Sanic#3": run(90, "9cb199f3f054", "test_sanic_attach", "app.run()"),
    "deploy:Uvicorn, Daphne, and other ASGI servers#1": run(
        99, "db2509af6502", "test_uvicorn_module", "same text as guide line 782"
    ),
    "deploy:Eventlet#1": run(
        117, "bc1f5113377d", "test_eventlet_wsgi_server", "Server(async_mode='eventlet')"
    ),
    "deploy:Eventlet#2": run(
        122, "1cb4c7b0cf85", "test_eventlet_wsgi_server", "socketio.Middleware"
    ),
    "deploy:Using Gunicorn with Eventlet#1": run(
        133,
        "6fb2f0be9995",
        "test_gunicorn_green_worker_command",
        "shell: gunicorn -k eventlet (= the guide's)",
    ),
    "deploy:Gevent#1": run(
        159, "bcfc911a82e9", "test_gevent_middleware", "Server(async_mode='gevent')"
    ),
    "deploy:Gevent#2": run(
        164, "c38e79b2863d", "test_gevent_middleware", "socketio.Middleware + pywsgi"
    ),
    "deploy:Gevent#3": run(
        171, "fa070363b363", "test_gevent_middleware", "gevent-websocket handler"
    ),
    "deploy:Using Gunicorn with Gevent#1": run(
        184, "18e81be7e624", "test_gunicorn_green_worker_command", "shell: gunicorn -k gevent"
    ),
    "deploy:Using Gunicorn with Gevent#2": run(
        188,
        "ac82d994e607",
        "test_gunicorn_green_worker_command",
        "shell: gunicorn GeventWebSocketWorker; its 'module: app' typo rejoined",
    ),
    "deploy:uWSGI#1": run(
        211,
        "89b72e80ad31",
        "test_uwsgi_gevent_command",
        "Server(async_mode='gevent_uwsgi') (= the guide's)",
    ),
    "deploy:uWSGI#2": run(
        221, "604dabbc6471", "test_uwsgi_gevent_command", "shell: uwsgi --gevent (= the guide's)"
    ),
    "deploy:Standard Threads#1": run(
        237, "f45cc6da762c", "test_threading_mode", "Server(async_mode='threading')"
    ),
    "deploy:Standard Threads#2": run(
        244,
        "0261dd2a6310",
        "test_flask_threaded_middleware",
        "Flask + socketio.Middleware, threaded",
    ),
}
