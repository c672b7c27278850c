#!/usr/bin/env node
// One configurable Socket.IO test server for socketio1c: the tests, the examples and the
// benchmarks start it through `testkit::servers` (tests/testkit/src/servers/), never on a fixed port.
// Loopback test fixture only: socket.io 1.x/2.x carry known security advisories.
//
// Run (from the repository root, after `npm ci --prefix tests/servers`):
//   node tests/servers/server.js --flavor sio4 --port 0
//
// FLAGS
//   --flavor F            sio4 (socket.io 4.8, EIO4 only; the default), sio4-eio3 (socket.io 4.8 with
//                         allowEIO3: true), sio2 (socket.io 2.5.1, EIO3), sio1 (socket.io 1.7.4, EIO3)
//   --host H              address to bind (default 127.0.0.1)
//   --port P              port to bind; 0 (the default) lets the OS pick a free one
//   --path P              Engine.IO path (default /socket.io/)
//   --tls-cert FILE       PEM certificate (chain) of the server; with --tls-key: serve https/wss
//   --tls-key FILE        PEM private key of the server
//   --tls-client-ca FILE  with --tls-cert: require a client certificate issued by this CA (PEM);
//                         each TLS connection prints a "tls-client" line with the subject received
//   --recovery            socket.io 4 connectionStateRecovery (maxDisconnectionDuration 120 s,
//                         skipMiddlewares); refused by sio1/sio2
//   --ping-interval MS    Engine.IO pingInterval
//   --ping-timeout MS     Engine.IO pingTimeout
//   --connect-timeout MS  socket.io 4 connectTimeout (engine sessions that join no namespace)
//   --max-payload BYTES   maxHttpBufferSize
//   --transports LIST     allowed transports, e.g. websocket,polling or polling
//   --redis URL           socket.io 4 only: the Redis adapter (@socket.io/redis-adapter on the `redis`
//                         client) on the Redis server at URL (redis://127.0.0.1:PORT), so that several
//                         processes form one cluster: an emit to a namespace reaches the sockets of
//                         every node. LISTENING is printed once both Redis clients are connected
//   --heartbeats          print a "heartbeat" line for every ping or pong a client sends
//   --quiet               do not print "event" lines (for benchmarks); everything else is printed
//   --no-stdin            keep running when stdin closes (for manual runs in the background)
//
// STDOUT: one line `LISTENING <port>` once the server listens (again after a `restart`), then one
// compact JSON object per line (binary values are rendered as {"_binary_base64":"..."}):
//   {"type":"connect","nsp":"/","sid":"…","auth":{…}|null,"query":{…},"headers":{…},
//    "engine":"<the Engine.IO connection's id>",
//    "eio":3|4,"transport":"polling"|"websocket","recovered":false}
//   {"type":"event","nsp":"/","sid":"…","event":"name","args":[…],"ack":true|false}
//   {"type":"disconnect","nsp":"/","sid":"…","reason":"…"}
//   {"type":"answer","nsp":"/","sid":"…","event":"question","args":[…]}  (a client's ack to the server)
//   {"type":"refused","nsp":"/admin","message":"Not authorized","auth":…,"query":{…}}
//   {"type":"http","method":"GET","url":"…","status":400|"aborted"}  a request refused or cut
//   {"type":"tls-client","subject":"<CN>"|null,"authorized":true}  with --tls-client-ca: a TLS
//                                        handshake the server accepted, and the client's certificate
//   {"type":"tls-client-error","message":"…"}  with --tls-client-ca: a handshake the server refused
//   {"type":"heartbeat","engine":"…","packet":"pong"|"ping"}  with --heartbeats: a client's
//                                        heartbeat packet (pong on Engine.IO 4, ping on 3)
//   {"type":"done","cmd":"emit","id":…}          after each stdin command (id echoed when given)
//   {"type":"error","message":"…","id":…}        a stdin command that could not be run
// Diagnostics go to stderr.
//
// STDIN: one JSON command per line; the server exits when stdin closes (unless --no-stdin), so a
// killed test never leaves a server behind:
//   {"cmd":"emit","nsp":"/","event":"E","args":[…]}         to every socket of the namespace
//   {"cmd":"emit","nsp":"/","sid":"…","event":"E","args":[…],"ack":true}
//        to one socket; with "ack":true the client's answer is printed as an "answer" line
//        (args may contain {"_binary_base64":"…"}, sent as binary)
//   {"cmd":"disconnect-all"}            socket.disconnect(true) on every socket (server disconnect)
//   {"cmd":"close-engines"}             close every Engine.IO connection (transport close)
//   {"cmd":"restart","delay_ms":1000}   stop listening and drop every connection, listen again on
//                                       the same port after the delay, print LISTENING again
//   {"cmd":"stop"}                      exit
//
// NAMESPACES: "/", "/chat", "/admin" (auth {"token":"secret"} in the CONNECT payload; sio1/sio2 and
// EIO3 clients: ?token=secret in the handshake or namespace query; refused with "Not authorized",
// data {"code":401} on socket.io 4) and "/slow" (100 ms async middleware). Any other namespace is
// refused by the library ("Invalid namespace"). An EIO3 client of sio4-eio3 is refused with the
// plain string "Not authorized", like sio1/sio2 (socket.io 4 would send only `data` to it).
//
// HANDLERS (every namespace):
//   on connection       emit welcome {"nsp":…,"sid":…}, then greeting "Привет мир!"
//   echo ...args        emit echo ...args back to the sender; ack with the same args if asked
//   ack ...args         ack with the same args
//   emit-back {event, args}   emit <event> ...args to the sender (ack with no args if asked)
//   ask ...args         emit question ...args with an ack callback; the answer is printed as an
//                       "answer" line and, if the client asked for an ack of `ask`, acked back
//   broadcast ...args   emit broadcast ...args to every socket of the namespace
//   binary              emit binary <Buffer 01 02 03>, {"file": <Buffer "hello">}; ack the same
//   flood {n, event, bytes}   emit <event> i for i in 0..n (event defaults to "tick"), waiting for
//                       the engine to drain every 1000 packets; with bytes > 0 emit <event>
//                       <Buffer of that many bytes> instead of i (one binary attachment each);
//                       acks with n when done
//   pace {rate, seconds, event, group, sockets}   evenly paced events for latency: once
//                       `sockets` sockets (default 1) asked with the same `group` name, emits
//                       round(rate × seconds) events <event> (default "tick") to them in turn,
//                       each due at its own time (event i at i/rate s after the start, checked
//                       every millisecond, so a burst is a millisecond's worth unless the timer
//                       is late), as
//                       <event> seq, t: seq counts the events of that socket from 0, t is the
//                       emit's wall-clock time in integer microseconds since the epoch
//                       (wallclock.js); then `paced` with the count sent to that socket
//   stats               ack with {"events": <events received on this socket>}
//   disconnect-me       socket.disconnect(true) (server-side disconnect, `41`, then the Engine.IO
//                       connection is closed too)
//   leave-me            socket.disconnect() (`41` for this namespace only; other namespaces on
//                       the same Engine.IO connection stay)
//   close-transport     socket.conn.close() (transport close; the client may reconnect)
//   transport           emit transport <the engine's transport now: "polling" or "websocket">
"use strict";

const fs = require("fs");
const http = require("http");
const https = require("https");
const net = require("net");
const { performance } = require("perf_hooks");
const readline = require("readline");
const { wallClockUs } = require("./wallclock");

// ---------------------------------------------------------------------------------------------
// command line

const FLAVORS = ["sio4", "sio4-eio3", "sio2", "sio1"];

function parseArgs(argv) {
  const o = {
    flavor: "sio4",
    host: "127.0.0.1",
    port: 0,
    path: "/socket.io/",
    tlsCert: null,
    tlsKey: null,
    tlsClientCa: null,
    recovery: false,
    pingInterval: undefined,
    pingTimeout: undefined,
    connectTimeout: undefined,
    maxPayload: undefined,
    transports: undefined,
    redis: null,
    heartbeats: false,
    quiet: false,
    stdin: true,
  };
  const num = (name, v) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) die(`${name} needs a non-negative number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case "--flavor": o.flavor = next(); break;
      case "--host": o.host = next(); break;
      case "--port": o.port = num(a, next()); break;
      case "--path": o.path = next(); break;
      case "--tls-cert": o.tlsCert = next(); break;
      case "--tls-key": o.tlsKey = next(); break;
      case "--tls-client-ca": o.tlsClientCa = next(); break;
      case "--recovery": o.recovery = true; break;
      case "--ping-interval": o.pingInterval = num(a, next()); break;
      case "--ping-timeout": o.pingTimeout = num(a, next()); break;
      case "--connect-timeout": o.connectTimeout = num(a, next()); break;
      case "--max-payload": o.maxPayload = num(a, next()); break;
      case "--transports":
        o.transports = next().split(",").map((s) => s.trim()).filter(Boolean);
        break;
      case "--redis": o.redis = next(); break;
      case "--heartbeats": o.heartbeats = true; break;
      case "--quiet": o.quiet = true; break;
      case "--no-stdin": o.stdin = false; break;
      case "-h":
      case "--help":
        process.stderr.write(fs.readFileSync(__filename, "utf8").split("\n\"use strict\"")[0] + "\n");
        process.exit(0);
        break;
      default: die(`unknown flag ${a}`);
    }
  }
  if (!FLAVORS.includes(o.flavor)) die(`--flavor must be one of ${FLAVORS.join(", ")}`);
  if (!!o.tlsCert !== !!o.tlsKey) die("--tls-cert and --tls-key go together");
  if (o.tlsClientCa && !o.tlsCert) die("--tls-client-ca needs --tls-cert and --tls-key");
  if (o.recovery && !o.flavor.startsWith("sio4")) die("--recovery needs socket.io 4 (sio4, sio4-eio3)");
  if (o.redis && !o.flavor.startsWith("sio4")) die("--redis needs socket.io 4 (sio4, sio4-eio3)");
  if (o.connectTimeout !== undefined && !o.flavor.startsWith("sio4")) {
    die("--connect-timeout needs socket.io 4 (sio4, sio4-eio3)");
  }
  return o;
}

function die(msg) {
  process.stderr.write(`server.js: ${msg}\n`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const v4 = opts.flavor.startsWith("sio4");

// ---------------------------------------------------------------------------------------------
// output

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

/** JSON-safe copy of a value: Buffers and typed arrays become {"_binary_base64": "..."}. */
function render(v) {
  if (v === undefined) return null;
  if (Buffer.isBuffer(v)) return { _binary_base64: v.toString("base64") };
  if (v instanceof ArrayBuffer) return { _binary_base64: Buffer.from(v).toString("base64") };
  if (ArrayBuffer.isView(v)) {
    return { _binary_base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
  }
  if (Array.isArray(v)) return v.map(render);
  if (v && typeof v === "object") {
    if (v instanceof Date) return v.toJSON();
    const o = {};
    for (const k of Object.keys(v)) {
      if (typeof v[k] !== "function") o[k] = render(v[k]);
    }
    return o;
  }
  if (typeof v === "function") return null;
  return v;
}

/** Inverse of render for command arguments: {"_binary_base64": "..."} becomes a Buffer. */
function unrender(v) {
  if (Array.isArray(v)) return v.map(unrender);
  if (v && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "_binary_base64") return Buffer.from(v._binary_base64, "base64");
    const o = {};
    for (const k of keys) o[k] = unrender(v[k]);
    return o;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// the socket.io server of the chosen flavor

let httpServer;
if (opts.tlsCert) {
  const tls = { cert: fs.readFileSync(opts.tlsCert), key: fs.readFileSync(opts.tlsKey) };
  if (opts.tlsClientCa) {
    tls.ca = fs.readFileSync(opts.tlsClientCa);
    tls.requestCert = true;
    tls.rejectUnauthorized = true;
  }
  httpServer = https.createServer(tls);
  if (opts.tlsClientCa) {
    // Every handshake that passed (a refused one ends in tlsClientError): the subject received.
    httpServer.on("secureConnection", (socket) => {
      const cert = socket.getPeerCertificate();
      out({ type: "tls-client", subject: cert && cert.subject ? cert.subject.CN : null,
            authorized: socket.authorized });
    });
    httpServer.on("tlsClientError", (err) => {
      out({ type: "tls-client-error", message: String(err && err.message) });
    });
  }
} else {
  httpServer = http.createServer();
}

const ioOptions = { path: opts.path, serveClient: false };
if (opts.pingInterval !== undefined) ioOptions.pingInterval = opts.pingInterval;
if (opts.pingTimeout !== undefined) ioOptions.pingTimeout = opts.pingTimeout;
if (opts.maxPayload !== undefined) ioOptions.maxHttpBufferSize = opts.maxPayload;
if (opts.transports !== undefined) ioOptions.transports = opts.transports;

let io;
switch (opts.flavor) {
  case "sio4":
  case "sio4-eio3": {
    const { Server } = require("socket.io");
    if (opts.flavor === "sio4-eio3") ioOptions.allowEIO3 = true;
    if (opts.connectTimeout !== undefined) ioOptions.connectTimeout = opts.connectTimeout;
    if (opts.recovery) {
      ioOptions.connectionStateRecovery = { maxDisconnectionDuration: 120000, skipMiddlewares: true };
    }
    io = new Server(httpServer, ioOptions);
    break;
  }
  case "sio2":
    io = require("sio2")(httpServer, ioOptions);
    break;
  case "sio1":
    io = require("sio1")(httpServer, ioOptions);
    break;
}

/** The Engine.IO server (io.engine on 4.x, io.eio on 1.x/2.x). */
const engine = io.engine || io.eio;

// Every HTTP request of the Engine.IO path that ends in an error status, or that the client cuts
// before the answer, as an "http" line. A client that closes a polling session in the JavaScript
// client's order leaves none (its pending GET is answered by the session's end, its close POST
// is accepted).
httpServer.on("request", (req, res) => {
  res.on("close", () => {
    if (!res.writableFinished) {
      out({ type: "http", method: req.method, url: req.url, status: "aborted" });
    } else if (res.statusCode >= 400) {
      out({ type: "http", method: req.method, url: req.url, status: res.statusCode });
    }
  });
});

if (opts.heartbeats) {
  engine.on("connection", (conn) => {
    conn.on("packet", (packet) => {
      if (packet.type === "ping" || packet.type === "pong") {
        out({ type: "heartbeat", engine: conn.id, packet: packet.type });
      }
    });
  });
}

/** Live sockets per namespace name: Map<nsp, Map<sid, socket>>. */
const live = new Map();

const GREETING = "Привет мир!";

function setup(nspName) {
  const nsp = io.of(nspName);
  live.set(nspName, new Map());

  if (nspName === "/admin") {
    nsp.use((socket, next) => {
      const auth = v4 ? socket.handshake.auth || {} : {};
      const query = socket.handshake.query || {};
      // EIO3 clients cannot send a CONNECT payload: on socket.io 4 the namespace query becomes
      // `auth`, and the handshake query is accepted as on 1.x/2.x.
      const eio3 = !v4 || (socket.conn && socket.conn.protocol === 3);
      if (auth.token === "secret" || (eio3 && query.token === "secret")) return next();
      out({
        type: "refused",
        nsp: nspName,
        message: "Not authorized",
        auth: v4 ? render(socket.handshake.auth) : null,
        query: render(query),
      });
      const err = new Error("Not authorized");
      // socket.io 4 sends `data` instead of the message to EIO3 clients when it is set; leave it
      // out for them so that every EIO3 refusal reads `44/admin,"Not authorized"`.
      if (!eio3) err.data = { code: 401 };
      next(err);
    });
  }
  if (nspName === "/slow") {
    nsp.use((socket, next) => setTimeout(next, 100));
  }

  nsp.on("connection", (socket) => onConnection(nspName, socket));
}

function onConnection(nspName, socket) {
  const sid = socket.id;
  const sockets = live.get(nspName);
  sockets.set(sid, socket);
  let received = 0;
  out({
    type: "connect",
    nsp: nspName,
    sid,
    auth: v4 ? render(socket.handshake.auth) : null,
    query: render(socket.handshake.query || {}),
    headers: render(socket.handshake.headers || {}),
    eio: v4 ? socket.conn.protocol : 3,
    engine: socket.conn.id,
    transport: socket.conn.transport ? socket.conn.transport.name : null,
    recovered: !!socket.recovered,
  });

  // Every received event is printed before any handler runs. `onevent` is the method that all
  // three library generations call for EVENT and BINARY_EVENT packets; it sees the ack id.
  const onevent = socket.onevent;
  socket.onevent = function (packet) {
    received++;
    if (!opts.quiet) {
      const data = packet.data || [];
      out({
        type: "event",
        nsp: nspName,
        sid,
        event: data[0],
        args: render(data.slice(1)),
        ack: packet.id !== undefined && packet.id !== null,
      });
    }
    return onevent.call(this, packet);
  };

  socket.on("disconnect", (reason) => {
    sockets.delete(sid);
    out({ type: "disconnect", nsp: nspName, sid, reason: String(reason) });
  });

  /** Splits the trailing ack callback off a handler's arguments. */
  const split = (args) => {
    const ack = args.length && typeof args[args.length - 1] === "function" ? args.pop() : null;
    return [args, ack];
  };

  socket.on("echo", (...all) => {
    const [args, ack] = split(all);
    socket.emit("echo", ...args);
    if (ack) ack(...args);
  });

  socket.on("ack", (...all) => {
    const [args, ack] = split(all);
    if (ack) ack(...args);
  });

  socket.on("emit-back", (...all) => {
    const [args, ack] = split(all);
    const spec = args[0] || {};
    const event = String(spec.event);
    const eargs = Array.isArray(spec.args) ? unrender(spec.args) : [];
    socket.emit(event, ...eargs);
    if (ack) ack();
  });

  socket.on("ask", (...all) => {
    const [args, ack] = split(all);
    socket.emit("question", ...args, (...answer) => {
      out({ type: "answer", nsp: nspName, sid, event: "question", args: render(answer) });
      if (ack) ack(...answer);
    });
  });

  socket.on("broadcast", (...all) => {
    const [args, ack] = split(all);
    io.of(nspName).emit("broadcast", ...args);
    if (ack) ack();
  });

  socket.on("binary", (...all) => {
    const [, ack] = split(all);
    socket.emit("binary", Buffer.from([1, 2, 3]), { file: Buffer.from("hello") });
    if (ack) ack(Buffer.from([1, 2, 3]), { file: Buffer.from("hello") });
  });

  socket.on("flood", (...all) => {
    const [args, ack] = split(all);
    const spec = args[0] || {};
    const n = Math.max(0, Math.floor(Number(spec.n) || 0));
    const event = spec.event === undefined ? "tick" : String(spec.event);
    const bytes = Math.max(0, Math.floor(Number(spec.bytes) || 0));
    flood(socket, n, event, bytes > 0 ? Buffer.alloc(bytes, 0x5a) : null).then(
      (sent) => {
        if (ack && sent === n) ack(n);
      },
      (err) => process.stderr.write(`flood failed: ${err && err.stack}\n`),
    );
  });

  socket.on("pace", (...all) => {
    const [args] = split(all);
    joinPace(socket, args[0] || {});
  });

  socket.on("stats", (...all) => {
    const [, ack] = split(all);
    if (ack) ack({ events: received });
  });

  socket.on("disconnect-me", () => socket.disconnect(true));

  socket.on("leave-me", () => socket.disconnect());

  socket.on("close-transport", () => socket.conn.close());

  socket.on("transport", () => socket.emit("transport", socket.conn.transport.name));

  socket.emit("welcome", { nsp: nspName, sid });
  socket.emit("greeting", GREETING);
}

/**
 * Emits `event` i for i in 0..n, or `event` `blob` n times when a Buffer is given. Every engine
 * keeps a `writeBuffer` that grows while its transport is busy and emits `drain` when it hands the
 * buffer to the transport; waiting for it keeps memory bounded without slowing a fast reader
 * down. Returns how many events were sent.
 */
async function flood(socket, n, event, blob) {
  const conn = socket.conn;
  for (let i = 0; i < n; i++) {
    if (!socket.connected || conn.readyState === "closed") return i;
    socket.emit(event, blob || i);
    if (conn.writeBuffer && conn.writeBuffer.length >= 1000) {
      await new Promise((resolve) => {
        const done = () => {
          conn.removeListener("drain", done);
          conn.removeListener("close", done);
          resolve();
        };
        conn.on("drain", done);
        conn.on("close", done);
      });
    }
  }
  return n;
}

/** The `pace` groups still waiting for sockets: name → {spec, sockets}. */
const paceGroups = new Map();

/** Adds `socket` to the `pace` group of `spec`; the last one to come starts it. */
function joinPace(socket, spec) {
  const name = String(spec.group === undefined ? "" : spec.group);
  let group = paceGroups.get(name);
  if (!group) {
    group = { spec, sockets: [] };
    paceGroups.set(name, group);
  }
  group.sockets.push(socket);
  if (group.sockets.length >= Math.max(1, Math.floor(Number(group.spec.sockets) || 1))) {
    paceGroups.delete(name);
    pace(group.sockets, group.spec);
  }
}

/**
 * Emits round(rate × seconds) events to `sockets` in turn, event i due at i/rate seconds after
 * the start. A 1 ms timer emits every event that is due by then: a millisecond's worth goes out
 * together (50 at 50 000 a second), and what a late timer owes at once. Each socket then gets
 * `paced` with how many it was sent.
 */
function pace(sockets, spec) {
  const rate = Math.max(1, Number(spec.rate) || 1000);
  const total = Math.round(rate * Math.max(0, Number(spec.seconds) || 1));
  const event = spec.event === undefined ? "tick" : String(spec.event);
  const sent = sockets.map(() => 0);
  wallClockUs(); // its first call calibrates it
  const start = performance.now();
  let emitted = 0;
  const emitDue = () => {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; emitted < due; emitted++) {
      const k = emitted % sockets.length;
      if (sockets[k].connected) sockets[k].emit(event, sent[k]++, wallClockUs());
    }
    if (emitted < total) return;
    clearInterval(timer);
    sockets.forEach((socket, k) => socket.connected && socket.emit("paced", sent[k]));
  };
  const timer = setInterval(emitDue, 1);
  emitDue();
}

for (const name of ["/", "/chat", "/admin", "/slow"]) setup(name);

// ---------------------------------------------------------------------------------------------
// listening: a plain net.Server hands the connections to the http(s) server, so that `restart`
// can stop and resume listening without the http server (and socket.io with it) ever closing.

const tcpSockets = new Set();
const listener = net.createServer((sock) => {
  tcpSockets.add(sock);
  sock.on("close", () => tcpSockets.delete(sock));
  httpServer.emit("connection", sock);
});
listener.on("error", (err) => {
  process.stderr.write(`server.js: listen failed: ${err.message}\n`);
  process.exit(1);
});
let port = opts.port;

function listen() {
  listener.listen(port, opts.host, () => {
    port = listener.address().port;
    process.stdout.write(`LISTENING ${port}\n`);
  });
}

function engineConnections() {
  return Object.values(engine.clients || {});
}

function dropEverything() {
  for (const conn of engineConnections()) conn.close(true);
  for (const sock of tcpSockets) sock.destroy();
}

// ---------------------------------------------------------------------------------------------
// stdin commands

function runCommand(c) {
  switch (c.cmd) {
    case "emit": {
      const nspName = c.nsp || "/";
      const args = unrender(Array.isArray(c.args) ? c.args : []);
      if (c.sid !== undefined) {
        const socket = (live.get(nspName) || new Map()).get(c.sid);
        if (!socket) throw new Error(`no socket ${c.sid} on ${nspName}`);
        if (c.ack) {
          socket.emit(c.event, ...args, (...answer) => {
            out({ type: "answer", nsp: nspName, sid: c.sid, event: c.event, args: render(answer) });
          });
        } else {
          socket.emit(c.event, ...args);
        }
      } else {
        io.of(nspName).emit(c.event, ...args);
      }
      break;
    }
    case "disconnect-all":
      for (const sockets of live.values()) {
        for (const socket of [...sockets.values()]) socket.disconnect(true);
      }
      break;
    case "close-engines":
      for (const conn of engineConnections()) conn.close();
      break;
    case "restart": {
      const delay = Math.max(0, Number(c.delay_ms) || 0);
      listener.close();
      dropEverything();
      setTimeout(listen, delay);
      break;
    }
    case "stop":
      dropEverything();
      process.exit(0);
      break;
    default:
      throw new Error(`unknown command ${JSON.stringify(c.cmd)}`);
  }
}

/**
 * With --redis: connects a publishing and a subscribing client and puts the Redis adapter under
 * every namespace (`io.adapter` re-creates the adapters of the namespaces made already).
 */
async function useRedis() {
  const { createClient } = require("redis");
  const { createAdapter } = require("@socket.io/redis-adapter");
  const pub = createClient({ url: opts.redis });
  const sub = pub.duplicate();
  for (const [name, client] of [["pub", pub], ["sub", sub]]) {
    client.on("error", (err) => process.stderr.write(`server.js: redis ${name}: ${err.message}\n`));
  }
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub));
}

if (opts.stdin) {
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  rl.on("line", (line) => {
    if (!line.trim()) return;
    let c;
    try {
      c = JSON.parse(line);
      runCommand(c);
      out({ type: "done", cmd: c.cmd, id: c.id === undefined ? null : c.id });
    } catch (err) {
      const id = c && c.id !== undefined ? c.id : null;
      out({ type: "error", message: String(err && err.message ? err.message : err), id });
    }
  });
  rl.on("close", () => process.exit(0));
}

if (opts.redis) {
  useRedis().then(listen, (err) => {
    process.stderr.write(`server.js: cannot use Redis at ${opts.redis}: ${err && err.stack}\n`);
    process.exit(1);
  });
} else {
  listen();
}
