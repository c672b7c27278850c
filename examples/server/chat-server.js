#!/usr/bin/env node
// A small Socket.IO chat server for the socketio1c README demo: a 1C client (or several) connects,
// gets a greeting, and chats with everyone else who is connected.
//
// Run it from the repository root (it uses the node modules of the test servers):
//
//   npm ci --prefix tests/servers
//   node examples/server/chat-server.js              # listens on 127.0.0.1:3000
//   node examples/server/chat-server.js --port 0     # a free port; see the LISTENING line
//
// Then, in 1C:   Клиент.Подключиться("ws://127.0.0.1:3000/");  Клиент.Подписаться("*");
//
// Flags: --host H (default 127.0.0.1), --port P (default 3000; 0 = any free port),
// --allow-eio3 (also accept Engine.IO 3 clients: socket.io 1.x/2.x protocol).
// The first line on stdout is `LISTENING <port>`; then one line per chat action.
//
// Events (namespace "/"):
//   server -> client  greeting      "Привет мир! Вы — <user>"      on connection, to the newcomer
//   server -> all     user joined   {"user": "<user>", "users": <count>}   (to everyone else)
//   server -> all     user left     {"user": "<user>", "users": <count>}
//   client -> server  new message   "<text>" or {"text": "<text>"}
//   server -> all     new message   {"user": "<user>", "text": "<text>"}   (the sender included)
//   client -> server  echo ...args  the server emits echo ...args back (and acks them if asked)
// The user name comes from the CONNECT auth {"name": …} or the query ?name=…, else "user-<n>".
"use strict";

const http = require("http");
const path = require("path");

function requireSocketIo() {
  try {
    return require("socket.io");
  } catch (e) {
    const local = path.join(__dirname, "..", "..", "tests", "servers", "node_modules", "socket.io");
    try {
      return require(local);
    } catch (e2) {
      process.stderr.write("chat-server.js: socket.io is not installed; run: npm ci --prefix tests/servers\n");
      process.exit(1);
    }
  }
}

const opts = { host: "127.0.0.1", port: 3000, allowEIO3: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--host") opts.host = argv[++i];
  else if (a === "--port") opts.port = Number(argv[++i]);
  else if (a === "--allow-eio3") opts.allowEIO3 = true;
  else {
    process.stderr.write(`chat-server.js: unknown flag ${a}\n`);
    process.exit(2);
  }
}
if (!Number.isInteger(opts.port) || opts.port < 0) {
  process.stderr.write("chat-server.js: --port needs a number\n");
  process.exit(2);
}

const { Server } = requireSocketIo();
const httpServer = http.createServer();
const io = new Server(httpServer, { serveClient: false, allowEIO3: opts.allowEIO3 });

let counter = 0;
const log = (text) => process.stdout.write(`[chat] ${text}\n`);

io.on("connection", (socket) => {
  const hs = socket.handshake;
  const given = (hs.auth && hs.auth.name) || (hs.query && hs.query.name);
  const user = given ? String(given) : `user-${++counter}`;
  log(`${user} joined (${io.of("/").sockets.size} connected)`);

  socket.emit("greeting", `Привет мир! Вы — ${user}`);
  socket.broadcast.emit("user joined", { user, users: io.of("/").sockets.size });

  socket.on("new message", (msg) => {
    const text = msg && typeof msg === "object" ? String(msg.text) : String(msg);
    log(`${user}: ${text}`);
    io.emit("new message", { user, text });
  });

  socket.on("echo", (...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    socket.emit("echo", ...args);
    if (ack) ack(...args);
  });

  socket.on("disconnect", (reason) => {
    log(`${user} left (${reason})`);
    socket.broadcast.emit("user left", { user, users: io.of("/").sockets.size });
  });
});

httpServer.listen(opts.port, opts.host, () => {
  process.stdout.write(`LISTENING ${httpServer.address().port}\n`);
});
