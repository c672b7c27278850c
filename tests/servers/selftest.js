#!/usr/bin/env node
// Self-test of the test servers with the official clients: proves that every flavor of server.js
// (and py_server.py) has the same handlers and prints the same stdout lines.
//
//   node tests/servers/selftest.js [FLAVOR...]         (default: sio4 sio4-eio3 sio2 sio1)
//
// FLAVOR is sio4, sio4-eio3, sio2, sio1 or python5 (needs tests/servers/.venv). Each flavor is
// checked over websocket and over polling; sio4-eio3 also with the 2.x client. socket.io-client 4.8
// talks to sio4/sio4-eio3/python5, socket.io-client 2.5 to sio2/sio4-eio3, socket.io-client 1.7.4
// (a dependency of sio1) to sio1. Exit code 0 = pass.
"use strict";

const { spawn } = require("child_process");
const path = require("path");
const readline = require("readline");
const assert = require("assert");

const DIR = __dirname;
const TIMEOUT = 10000; // generous: CI machines can be loaded; a wrong answer fails the same way

function startServer(flavor, extra = []) {
  const [cmd, args] =
    flavor === "python5"
      ? [path.join(DIR, ".venv", "bin", "python"), [path.join(DIR, "py_server.py"), "--port", "0", ...extra]]
      : [process.execPath, [path.join(DIR, "server.js"), "--flavor", flavor, "--port", "0", ...extra]];
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
  const lines = [];
  const waiters = [];
  const rl = readline.createInterface({ input: child.stdout });
  rl.on("line", (line) => {
    lines.push(line);
    for (const w of [...waiters]) w();
  });
  const server = {
    child,
    lines,
    port: null,
    send: (obj) => child.stdin.write(JSON.stringify(obj) + "\n"),
    /** Resolves with the first not yet taken line that matches. */
    waitLine(pred, what) {
      return new Promise((resolve, reject) => {
        let i = 0;
        const check = () => {
          for (; i < lines.length; i++) {
            if (lines[i] !== null && pred(lines[i])) {
              const l = lines[i];
              lines[i] = null;
              cleanup();
              resolve(l);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timeout waiting for server line: ${what}`));
        }, TIMEOUT);
        const cleanup = () => {
          clearTimeout(timer);
          const k = waiters.indexOf(check);
          if (k >= 0) waiters.splice(k, 1);
        };
        waiters.push(check);
        check();
      });
    },
    async waitJson(pred, what) {
      return JSON.parse(
        await this.waitLine((l) => {
          if (!l.startsWith("{")) return false;
          return pred(JSON.parse(l));
        }, what),
      );
    },
    stop() {
      child.stdin.end();
    },
  };
  return server;
}

function once(emitter, event, what = event) {
  const p = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${what}`)), TIMEOUT);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
  p.catch(() => {}); // reported where it is awaited, not as an unhandled rejection
  return p;
}

function emitAck(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for the ack of ${event}`)), TIMEOUT);
    socket.emit(event, ...args, (...answer) => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

const bin = (v) => Buffer.from(v instanceof ArrayBuffer ? new Uint8Array(v) : v);

async function run(flavor, clientGen, transport) {
  const label = `${flavor} ${clientGen} ${transport}`;
  const server = startServer(flavor);
  try {
    const listening = await server.waitLine((l) => l.startsWith("LISTENING "), "LISTENING");
    server.port = Number(listening.split(" ")[1]);
    const url = `http://127.0.0.1:${server.port}`;
    const v4client = clientGen === "v4";
    // socket.io 1.7.4 (engine.io 1.8) sends and expects text packets over polling UTF-8 encoded
    // twice (its parser runs utf8.encode on them), which only the 1.x client undoes, so the 1.x
    // server is checked with its own client (installed with it).
    const ioc = {
      v4: () => require("socket.io-client").io,
      v2: () => require("sio2-client"),
      v1: () => require("sio1/node_modules/socket.io-client"),
    }[clientGen]();
    const common = { transports: [transport], forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 200 };
    const connect = (nsp, extra = {}) => ioc(url + nsp, { ...common, ...extra });
    const sockets = [];

    // "/" : welcome and greeting, with the welcome sid matching the connect line.
    const s = connect("/");
    sockets.push(s);
    const welcomeP = once(s, "welcome");
    const greetingP = once(s, "greeting");
    const [welcome] = await welcomeP;
    const [greeting] = await greetingP;
    assert.strictEqual(welcome.nsp, "/");
    assert.strictEqual(greeting, "Привет мир!");
    const c = await server.waitJson((o) => o.type === "connect" && o.nsp === "/", "connect /");
    assert.strictEqual(c.sid, welcome.sid);
    assert.strictEqual(typeof c.headers, "object");
    assert.strictEqual(c.eio, flavor === "sio4-eio3" && !v4client ? 3 : c.eio);
    const sid = welcome.sid;

    // echo with an ack: the event comes back and the ack carries the same args.
    const echoArgs = [1, "два", { a: [true, null] }];
    const echoed = once(s, "echo");
    const ackArgs = await emitAck(s, "echo", ...echoArgs);
    assert.deepStrictEqual(ackArgs, echoArgs);
    assert.deepStrictEqual(await echoed, echoArgs);
    let ev = await server.waitJson((o) => o.type === "event" && o.event === "echo", "event echo");
    assert.deepStrictEqual(ev, { type: "event", nsp: "/", sid, event: "echo", args: echoArgs, ack: true });

    // echo without an ack.
    const echoed2 = once(s, "echo");
    s.emit("echo", "plain");
    assert.deepStrictEqual(await echoed2, ["plain"]);
    ev = await server.waitJson((o) => o.type === "event" && o.event === "echo", "event echo 2");
    assert.strictEqual(ev.ack, false);

    // ack
    assert.deepStrictEqual(await emitAck(s, "ack", "x", 2), ["x", 2]);

    // emit-back
    const custom = once(s, "custom");
    s.emit("emit-back", { event: "custom", args: [1, "b", { _binary_base64: "AQI=" }] });
    const got = await custom;
    assert.deepStrictEqual(got.slice(0, 2), [1, "b"]);
    assert.deepStrictEqual([...bin(got[2])], [1, 2]);

    // ask: the server asks `question`, we answer, the server prints and acks the answer.
    s.once("question", (...args) => {
      const cb = args.pop();
      assert.deepStrictEqual(args, ["q?"]);
      cb("answer", 42);
    });
    assert.deepStrictEqual(await emitAck(s, "ask", "q?"), ["answer", 42]);
    const answer = await server.waitJson((o) => o.type === "answer", "answer");
    assert.deepStrictEqual(answer, { type: "answer", nsp: "/", sid, event: "question", args: ["answer", 42] });

    // broadcast reaches a second client too.
    const s2 = connect("/");
    sockets.push(s2);
    await once(s2, "greeting");
    const b1 = once(s, "broadcast");
    const b2 = once(s2, "broadcast");
    s.emit("broadcast", "hi", 1);
    assert.deepStrictEqual(await b1, ["hi", 1]);
    assert.deepStrictEqual(await b2, ["hi", 1]);
    s2.close();

    // binary
    const binary = once(s, "binary");
    s.emit("binary");
    const [b, nested] = await binary;
    assert.deepStrictEqual([...bin(b)], [1, 2, 3]);
    assert.strictEqual(bin(nested.file).toString(), "hello");

    // binary from the client is rendered as _binary_base64.
    const echoed3 = once(s, "echo");
    s.emit("echo", Buffer.from([9, 8]));
    ev = await server.waitJson((o) => o.type === "event" && o.event === "echo", "binary echo");
    assert.deepStrictEqual(ev.args, [{ _binary_base64: "CQg=" }]);
    await echoed3;

    // flood: in order, then the ack.
    const N = 3000;
    let next = 0;
    let order = true;
    const onTick = (i) => {
      if (i !== next) order = false;
      next++;
    };
    s.on("tick", onTick);
    assert.deepStrictEqual(await emitAck(s, "flood", { n: N }), [N]);
    s.off("tick", onTick);
    assert.ok(order, "flood out of order");
    assert.strictEqual(next, N);

    // pace (server.js only: a benchmark's handler): a group of two sockets, the ticks in turn
    // and in order per socket, stamped with a wall-clock time, then `paced` with each one's count.
    if (flavor !== "python5") {
      const s3 = connect("/");
      sockets.push(s3);
      await once(s3, "greeting");
      const spec = { rate: 2000, seconds: 0.1, group: `selftest-${transport}-${clientGen}`, sockets: 2 };
      const counts = await Promise.all(
        [s, s3].map((sock) => {
          let seq = 0;
          const onPaceTick = (i, t) => {
            assert.strictEqual(i, seq++, "pace out of order");
            assert.ok(Math.abs(t - Date.now() * 1000) < 5e6, `pace time ${t}`);
          };
          sock.on("tick", onPaceTick);
          const paced = once(sock, "paced");
          sock.emit("pace", spec);
          return paced.then(([sent]) => {
            sock.off("tick", onPaceTick);
            assert.strictEqual(sent, seq);
            return sent;
          });
        }),
      );
      assert.deepStrictEqual(counts, [100, 100]);
      s3.close();
    }

    // stats counts the events received on this socket.
    const [stats] = await emitAck(s, "stats");
    assert.ok(stats.events >= 10, JSON.stringify(stats));

    // stdin emit to the namespace, with a binary argument, and to one socket with an ack.
    const push = once(s, "server-push");
    server.send({ cmd: "emit", nsp: "/", event: "server-push", args: ["p", { _binary_base64: "AAE=" }], id: 7 });
    const pushed = await push;
    assert.strictEqual(pushed[0], "p");
    assert.deepStrictEqual([...bin(pushed[1])], [0, 1]);
    await server.waitJson((o) => o.type === "done" && o.cmd === "emit" && o.id === 7, "done emit");
    s.once("server-ask", (x, cb) => cb(x + 1));
    server.send({ cmd: "emit", nsp: "/", sid, event: "server-ask", args: [1], ack: true });
    const a2 = await server.waitJson((o) => o.type === "answer" && o.event === "server-ask", "answer server-ask");
    assert.deepStrictEqual(a2.args, [2]);

    // /chat, /slow
    for (const nsp of ["/chat", "/slow"]) {
      const n = connect(nsp);
      sockets.push(n);
      const [w] = await once(n, "welcome", `welcome ${nsp}`);
      assert.strictEqual(w.nsp, nsp);
      assert.deepStrictEqual(await emitAck(n, "ack", nsp), [nsp]);
      const e = await server.waitJson((o) => o.type === "event" && o.nsp === nsp, `event on ${nsp}`);
      assert.strictEqual(e.sid, w.sid);
      n.close();
    }

    // /admin refused without the token, accepted with it.
    const bad = connect("/admin", { reconnection: false });
    sockets.push(bad);
    let err;
    if (v4client) {
      [err] = await once(bad, "connect_error", "connect_error /admin");
      assert.strictEqual(err.message, "Not authorized");
      assert.deepStrictEqual(err.data, { code: 401 });
    } else {
      [err] = await once(bad, "error", "error /admin");
      assert.strictEqual(err, "Not authorized");
    }
    await server.waitJson((o) => o.type === "refused" && o.nsp === "/admin", "refused");
    bad.close();
    const good = v4client
      ? connect("/admin", { auth: { token: "secret" } })
      : connect("/admin", { query: { token: "secret" } });
    sockets.push(good);
    const [wa] = await once(good, "welcome", "welcome /admin");
    assert.strictEqual(wa.nsp, "/admin");
    good.close();

    // close-transport: the client sees a transport close and reconnects.
    const closed = once(s, "disconnect", "disconnect after close-transport");
    const rewelcome = once(s, "welcome", "welcome after reconnect");
    s.emit("close-transport");
    const [reason] = await closed;
    assert.strictEqual(reason, "transport close");
    await rewelcome;

    // disconnect-me: a server-side disconnect.
    const dropped = once(s, "disconnect", "disconnect after disconnect-me");
    s.emit("disconnect-me");
    assert.strictEqual((await dropped)[0], "io server disconnect");
    const d = await server.waitJson(
      (o) => o.type === "disconnect" && o.nsp === "/" && o.reason.includes("server"),
      "disconnect line",
    );
    assert.ok(d.sid);

    for (const x of sockets) x.close();
    console.log(`ok   ${label}`);
  } catch (e) {
    console.log(`FAIL ${label}: ${e.stack}`);
    process.exitCode = 1;
  } finally {
    server.stop();
  }
}

async function main() {
  const flavors = process.argv.slice(2);
  const list = flavors.length ? flavors : ["sio4", "sio4-eio3", "sio2", "sio1"];
  for (const flavor of list) {
    const gens = { sio4: ["v4"], "sio4-eio3": ["v4", "v2"], sio2: ["v2"], sio1: ["v1"], python5: ["v4"] }[flavor];
    if (!gens) throw new Error(`unknown flavor ${flavor}`);
    for (const gen of gens) {
      for (const transport of ["websocket", "polling"]) await run(flavor, gen, transport);
    }
  }
}

main().then(() => process.exit());
