#!/usr/bin/env python3
"""python-socketio 5.x test server for socketio1c (ASGI under uvicorn): the Python twin of server.js.

Started by ``testkit::servers`` with the interpreter of ``tests/servers/.venv`` (made from
requirements.txt). Loopback test fixture only.

Run (from the repository root)::

    python3 -m venv tests/servers/.venv
    tests/servers/.venv/bin/pip install -r tests/servers/requirements.txt
    tests/servers/.venv/bin/python tests/servers/py_server.py --port 0

FLAGS (the subset of server.js that python-socketio has)
    --host H              address to bind (default 127.0.0.1)
    --port P              port to bind; 0 (the default) lets the OS pick a free one
    --path P              Engine.IO path (default /socket.io/)
    --tls-cert FILE       PEM certificate (chain); with --tls-key: serve https/wss
    --tls-key FILE        PEM private key
    --ping-interval MS    Engine.IO pingInterval (milliseconds, as for server.js; rounded to whole
                          seconds, the only values python-engineio advertises correctly)
    --ping-timeout MS     Engine.IO pingTimeout
    --max-payload BYTES   max_http_buffer_size
    --transports LIST     allowed transports, e.g. websocket,polling
    --quiet               do not print "event" lines
    --no-stdin            keep running when stdin closes
    --flavor python5      accepted for symmetry with server.js; nothing else is
    (--recovery, --connect-timeout: not available in python-socketio; refused)

STDOUT and STDIN: the same lines and commands as server.js (see its header), with these
differences that come from python-socketio itself:
  * it emits `welcome` and `greeting` from the connect handler, which python-socketio runs before it
    sends the CONNECT packet: a client receives both events *before* `40{"sid":…}` (a real-world
    ordering that clients must buffer);
  * disconnect reasons are python-socketio's: "client disconnect", "server disconnect",
    "transport close", "ping timeout", "transport error";
  * the `restart` command is not supported (prints an "error" line).

NAMESPACES and HANDLERS: as server.js. /admin needs the CONNECT auth {"token":"secret"}; it is
refused with {"message":"Not authorized","data":{"code":401}}.
"""

import argparse
import asyncio
import base64
import json
import logging
import socket
import sys
from urllib.parse import parse_qsl

import socketio
import uvicorn

GREETING = "Привет мир!"
NAMESPACES = ["/", "/chat", "/admin", "/slow"]


def parse_args(argv):
    p = argparse.ArgumentParser(description="python-socketio test server for socketio1c")
    p.add_argument("--flavor", default="python5", choices=["python5"])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--path", default="/socket.io/")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--ping-interval", type=float)
    p.add_argument("--ping-timeout", type=float)
    p.add_argument("--max-payload", type=int)
    p.add_argument("--transports")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--no-stdin", action="store_true")
    p.add_argument("--recovery", action="store_true")
    p.add_argument("--connect-timeout", type=float)
    o = p.parse_args(argv)
    if o.recovery:
        p.error("--recovery: python-socketio has no connection state recovery")
    if o.connect_timeout is not None:
        p.error("--connect-timeout: not available in python-socketio")
    if bool(o.tls_cert) != bool(o.tls_key):
        p.error("--tls-cert and --tls-key go together")
    return o


def out(obj):
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def render(v):
    """JSON-safe copy of a value: bytes become {"_binary_base64": "..."}."""
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"_binary_base64": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, (list, tuple)):
        return [render(x) for x in v]
    if isinstance(v, dict):
        return {str(k): render(x) for k, x in v.items()}
    return v


def unrender(v):
    """Inverse of render for command arguments."""
    if isinstance(v, list):
        return [unrender(x) for x in v]
    if isinstance(v, dict):
        if list(v.keys()) == ["_binary_base64"]:
            return base64.b64decode(v["_binary_base64"])
        return {k: unrender(x) for k, x in v.items()}
    return v


def headers_of(environ):
    scope = environ.get("asgi.scope") or {}
    headers = {}
    for name, value in scope.get("headers", []):
        k = name.decode("latin-1").lower()
        val = value.decode("latin-1")
        headers[k] = headers[k] + ", " + val if k in headers else val
    return headers


def query_of(environ):
    return dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))


class LoggingServer(socketio.AsyncServer):
    """An AsyncServer that prints every received event before its handler runs."""

    quiet = False
    received = {}

    async def _handle_event(self, eio_sid, namespace, id, data):
        namespace = namespace or "/"
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if sid is not None and self.manager.is_connected(sid, namespace):
            key = (namespace, sid)
            self.received[key] = self.received.get(key, 0) + 1
            if not self.quiet:
                out({
                    "type": "event",
                    "nsp": namespace,
                    "sid": sid,
                    "event": data[0] if data else None,
                    "args": render(list(data[1:])),
                    "ack": id is not None,
                })
        return await super()._handle_event(eio_sid, namespace, id, data)


def as_args(args):
    """The `data` value that makes python-socketio send exactly these arguments."""
    return tuple(args)


def build(o):
    kwargs = {"async_mode": "asgi", "cors_allowed_origins": "*"}
    if o.ping_interval is not None:
        # python-engineio advertises int(seconds) * 1000 as pingInterval but sleeps the exact
        # value: keep the two equal by using whole seconds.
        seconds = max(1, round(o.ping_interval / 1000.0))
        if seconds * 1000 != o.ping_interval:
            print(f"py_server.py: --ping-interval {o.ping_interval:g} rounded to {seconds * 1000} ms "
                  "(python-engineio takes whole seconds)", file=sys.stderr)
        kwargs["ping_interval"] = seconds
    if o.ping_timeout is not None:
        kwargs["ping_timeout"] = o.ping_timeout / 1000.0
    if o.max_payload is not None:
        kwargs["max_http_buffer_size"] = o.max_payload
    if o.transports:
        kwargs["transports"] = [t.strip() for t in o.transports.split(",") if t.strip()]
    sio = LoggingServer(**kwargs)
    sio.quiet = o.quiet
    # live[nsp][sid] = eio_sid
    live = {ns: {} for ns in NAMESPACES}

    def register(ns):
        async def connect(sid, environ, auth=None):
            if ns == "/admin" and not (isinstance(auth, dict) and auth.get("token") == "secret"):
                out({"type": "refused", "nsp": ns, "message": "Not authorized",
                     "auth": render(auth), "query": query_of(environ)})
                raise socketio.exceptions.ConnectionRefusedError("Not authorized", {"code": 401})
            if ns == "/slow":
                await asyncio.sleep(0.1)
            live[ns][sid] = sio.manager.eio_sid_from_sid(sid, ns)
            out({
                "type": "connect",
                "nsp": ns,
                "sid": sid,
                "auth": render(auth),
                "query": query_of(environ),
                "headers": headers_of(environ),
                "eio": 4,
                "engine": live[ns][sid],
                "transport": sio.transport(sid, namespace=ns),
                "recovered": False,
            })
            await sio.emit("welcome", {"nsp": ns, "sid": sid}, to=sid, namespace=ns)
            await sio.emit("greeting", GREETING, to=sid, namespace=ns)

        async def disconnect(sid, reason=None):
            live[ns].pop(sid, None)
            sio.received.pop((ns, sid), None)
            out({"type": "disconnect", "nsp": ns, "sid": sid, "reason": str(reason)})

        async def any_event(event, sid, *args):
            return await handle(ns, event, sid, list(args))

        sio.on("connect", connect, namespace=ns)
        sio.on("disconnect", disconnect, namespace=ns)
        sio.on("*", any_event, namespace=ns)

    async def handle(ns, event, sid, args):
        # The return value is the ack's arguments; python-socketio sends it only when the client
        # asked for an ack.
        if event == "echo":
            await sio.emit("echo", as_args(args), to=sid, namespace=ns)
            return as_args(args)
        if event == "ack":
            return as_args(args)
        if event == "emit-back":
            spec = args[0] if args and isinstance(args[0], dict) else {}
            eargs = unrender(spec.get("args") or [])
            await sio.emit(str(spec.get("event")), as_args(eargs), to=sid, namespace=ns)
            return ()
        if event == "ask":
            fut = asyncio.get_running_loop().create_future()

            def on_answer(*answer):
                out({"type": "answer", "nsp": ns, "sid": sid, "event": "question",
                     "args": render(list(answer))})
                if not fut.done():
                    fut.set_result(answer)

            await sio.emit("question", as_args(args), to=sid, namespace=ns, callback=on_answer)
            try:
                return tuple(await asyncio.wait_for(fut, 60))
            except asyncio.TimeoutError:
                return ()
        if event == "broadcast":
            await sio.emit("broadcast", as_args(args), namespace=ns)
            return ()
        if event == "binary":
            payload = (bytes([1, 2, 3]), {"file": b"hello"})
            await sio.emit("binary", payload, to=sid, namespace=ns)
            return payload
        if event == "flood":
            spec = args[0] if args and isinstance(args[0], dict) else {}
            n = max(0, int(spec.get("n") or 0))
            name = str(spec.get("event", "tick"))
            sent = await flood(ns, sid, n, name)
            return (n,) if sent == n else ()
        if event == "stats":
            return ({"events": sio.received.get((ns, sid), 0)},)
        if event == "disconnect-me":
            await disconnect_client(live[ns].get(sid))
            return ()
        if event == "close-transport":
            await close_engine(live[ns].get(sid))
            return ()
        if event == "transport":
            await sio.emit("transport", sio.transport(sid, namespace=ns), to=sid, namespace=ns)
            return ()
        return ()

    async def flood(ns, sid, n, name):
        """Emits name i for i in 0..n, letting the engine's queue drain every 1000 packets."""
        for i in range(n):
            eio_sid = live[ns].get(sid)
            eio_socket = sio.eio.sockets.get(eio_sid) if eio_sid else None
            if eio_socket is None or eio_socket.closed:
                return i
            await sio.emit(name, i, to=sid, namespace=ns)
            if i % 100 == 99:
                await asyncio.sleep(0)
                while eio_socket.queue.qsize() > 1000 and not eio_socket.closed:
                    await asyncio.sleep(0.001)
        return n

    async def close_engine(eio_sid):
        """Closes an Engine.IO session so that the client sees a transport close.

        python-engineio answers a pending poll with the close packet, which the client obeys, but
        over a websocket it only queues the packet, and the JS client ignores a close packet there:
        the socket would linger until the ping timeout. Ending the writer closes the websocket.
        """
        eio_socket = sio.eio.sockets.get(eio_sid) if eio_sid else None
        if eio_socket is None:
            return
        await sio.eio.disconnect(eio_sid)
        if eio_socket.upgraded:
            eio_socket.queue.put_nowait(None)

    async def disconnect_client(eio_sid):
        """As socket.disconnect(true) on node: `41` on each namespace, then the engine closes."""
        if eio_sid is None:
            return
        for ns in NAMESPACES:
            for sid, e in list(live[ns].items()):
                if e == eio_sid:
                    await sio.disconnect(sid, namespace=ns)
        # Let the `41`s go out first, as on node: python-engineio would otherwise put the close
        # packet in the same polling response, and a client may act on the close before the `41`.
        eio_socket = sio.eio.sockets.get(eio_sid)
        if eio_socket is not None:
            try:
                await asyncio.wait_for(eio_socket.queue.join(), 1)
            except asyncio.TimeoutError:
                pass
        await close_engine(eio_sid)

    for ns in NAMESPACES:
        register(ns)

    async def command(c):
        cmd = c.get("cmd")
        if cmd == "emit":
            ns = c.get("nsp") or "/"
            args = as_args(unrender(c.get("args") or []))
            event = c.get("event")
            if c.get("sid") is not None:
                sid = c["sid"]
                if sid not in live.get(ns, {}):
                    raise ValueError(f"no socket {sid} on {ns}")
                callback = None
                if c.get("ack"):
                    def callback(*answer):
                        out({"type": "answer", "nsp": ns, "sid": sid, "event": event,
                             "args": render(list(answer))})
                await sio.emit(event, args, to=sid, namespace=ns, callback=callback)
            else:
                await sio.emit(event, args, namespace=ns)
        elif cmd == "disconnect-all":
            eio_sids = {e for ns in NAMESPACES for e in live[ns].values()}
            for e in eio_sids:
                await disconnect_client(e)
        elif cmd == "close-engines":
            for e in list(sio.eio.sockets.keys()):
                await close_engine(e)
        elif cmd == "stop":
            raise SystemExit(0)
        else:
            raise ValueError(f"unknown command {json.dumps(cmd)}")

    return sio, command


class Server(uvicorn.Server):
    """Prints LISTENING once uvicorn serves the socket that we bound."""

    port = 0

    async def startup(self, sockets=None):
        await super().startup(sockets=sockets)
        if self.started:
            sys.stdout.write(f"LISTENING {self.port}\n")
            sys.stdout.flush()


async def read_stdin(command, server):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        text = line.decode("utf-8").strip()
        if not text:
            continue
        c = {}
        try:
            c = json.loads(text)
            await command(c)
            out({"type": "done", "cmd": c.get("cmd"), "id": c.get("id")})
        except SystemExit:
            break
        except Exception as e:  # a bad command must not stop the server
            out({"type": "error", "message": str(e),
                 "id": c.get("id") if isinstance(c, dict) else None})
    server.should_exit = True
    server.force_exit = True


async def main():
    o = parse_args(sys.argv[1:])
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    sio, command = build(o)
    path = o.path if o.path.startswith("/") else "/" + o.path
    app = socketio.ASGIApp(sio, socketio_path=path)

    # Bind the socket ourselves so that port 0 works and we know the port before uvicorn serves.
    family = socket.AF_INET6 if ":" in o.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((o.host, o.port))
    sock.listen(128)
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ssl_certfile=o.tls_cert,
        ssl_keyfile=o.tls_key,
        timeout_graceful_shutdown=1,
    )
    server = Server(config)
    server.port = sock.getsockname()[1]
    tasks = [asyncio.create_task(server.serve(sockets=[sock]))]
    if not o.no_stdin:
        tasks.append(asyncio.create_task(read_stdin(command, server)))
    await tasks[0]


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8")
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
