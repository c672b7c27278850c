#!/usr/bin/env node
// A minimal fake Socket.IO 4 server (Engine.IO 4, websocket only) for the benchmarks: it does as
// little work as possible so that what is measured is the client (protocol §5.2).
//
// Run (from the repository root, after `npm ci --prefix tests/servers`):
//   node tests/servers/bench/fake-server.js [--port 0]
// It prints `LISTENING <port>` and exits when stdin closes. `examples/bench` starts it.
//
// What it does on a websocket at any path:
//   - sends the open packet `0{…}` (pingInterval 25 s) and pings every 25 s; pongs are ignored;
//   - answers `40…` (CONNECT to any namespace) with `40{"sid":…}` for "/" (`40/nsp,{…}` otherwise);
//   - counts every `42…` frame (an EVENT), like the real server's `stats`;
//   - flood {n, event}: blasts `42["<event>",i]` for i in 0..n as pre-encoded websocket frames,
//     written straight to the TCP socket in 64 KiB chunks (whole frames only), waiting for the
//     socket to drain whenever more than 1 MiB is buffered: no per-packet work at all;
//   - echo ...args: emits `echo` ...args back (and acks with the args if asked);
//   - ack ...args: acks with the args; stats: acks with {"events": count};
//   - count: emits `count` {"events": count} back (for clients without acknowledgements);
//   - any other event is only counted (cheap path: no JSON parsing for `42["bench",…]`).
"use strict";

const http = require("http");
const path = require("path");
const readline = require("readline");

// The `ws` of socket.io 4 (the top-level `ws` of tests/servers is an old one of socket.io 1).
const WebSocket = require(require.resolve("ws", { paths: [path.dirname(require.resolve("socket.io"))] }));

const PING_INTERVAL = 25000;
const HIGH_WATER = 1 << 20;
const CHUNK = 64 << 10;

let port = 0;
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === "--port") port = Number(process.argv[++i]);
}

/** Frames of `42["<event>",i]`, i in 0..n, as server-to-client websocket frames, cut into chunks
 *  that end on frame boundaries. Cached: the same flood costs nothing the second time. */
const floods = new Map();
function floodChunks(event, n) {
  const key = `${event}/${n}`;
  if (floods.has(key)) return floods.get(key);
  const chunks = [];
  let parts = [];
  let size = 0;
  for (let i = 0; i < n; i++) {
    const payload = Buffer.from(`42${JSON.stringify([event, i])}`);
    const len = payload.length;
    const head = len < 126 ? Buffer.from([0x81, len]) : Buffer.from([0x81, 126, len >> 8, len & 255]);
    parts.push(head, payload);
    size += head.length + len;
    if (size >= CHUNK) {
      chunks.push(Buffer.concat(parts, size));
      parts = [];
      size = 0;
    }
  }
  if (size) chunks.push(Buffer.concat(parts, size));
  floods.set(key, chunks);
  return chunks;
}

/** Writes the chunks to the raw socket, pausing while more than HIGH_WATER bytes wait. */
function blast(ws, chunks) {
  const sock = ws._socket;
  let i = 0;
  const pump = () => {
    while (i < chunks.length) {
      if (ws.readyState !== WebSocket.OPEN) return;
      sock.write(chunks[i++]);
      if (sock.writableLength > HIGH_WATER) {
        sock.once("drain", pump);
        return;
      }
    }
  };
  pump();
}

let nextSid = 1;
function sid() {
  return `fake${(nextSid++).toString(36).padStart(16, "0")}`;
}

function onConnection(ws) {
  let events = 0;
  ws.send(`0${JSON.stringify({ sid: sid(), upgrades: [], pingInterval: PING_INTERVAL, pingTimeout: 20000, maxPayload: 1000000 })}`);
  const ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send("2"), PING_INTERVAL);
  ws.on("close", () => clearInterval(ping));
  ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    const text = data.toString();
    if (text.startsWith("42")) {
      events++;
      // Cheap path for the outbound flood: no parsing.
      if (text.startsWith('42["bench"')) return;
      onEvent(ws, text, () => events);
    } else if (text.startsWith("40")) {
      const nsp = text.startsWith("40/") ? text.slice(2).split(",")[0] : "/";
      const prefix = nsp === "/" ? "40" : `40${nsp},`;
      ws.send(`${prefix}${JSON.stringify({ sid: sid() })}`);
    } else if (text.startsWith("41") || text === "1") {
      ws.close();
    }
  });
}

/** A `42[id][…]` frame on "/": the handlers of the header. */
function onEvent(ws, text, count) {
  let i = 2;
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  const id = i > 2 ? text.slice(2, i) : null;
  let arr;
  try {
    arr = JSON.parse(text.slice(i));
  } catch (_) {
    return;
  }
  const [name, ...args] = arr;
  const ack = (...a) => id !== null && ws.send(`43${id}${JSON.stringify(a)}`);
  switch (name) {
    case "flood": {
      const spec = args[0] || {};
      blast(ws, floodChunks(spec.event === undefined ? "tick" : String(spec.event), Math.max(0, spec.n | 0)));
      break;
    }
    case "echo":
      ws.send(`42${JSON.stringify(["echo", ...args])}`);
      ack(...args);
      break;
    case "ack":
      ack(...args);
      break;
    case "stats":
      ack({ events: count() });
      break;
    case "count":
      ws.send(`42${JSON.stringify(["count", { events: count() }])}`);
      break;
    default:
      break;
  }
}

const server = http.createServer((req, res) => {
  res.writeHead(400);
  res.end("websocket only");
});
const wss = new WebSocket.Server({ server, perMessageDeflate: false });
wss.on("connection", (ws, req) => {
  ws._socket.setNoDelay(true);
  onConnection(ws, req);
});
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
readline.createInterface({ input: process.stdin }).on("close", () => process.exit(0));
