#!/usr/bin/env node
// The reference side of `examples/bench`: the official socket.io-client 4.x, or 2.x for socket.io
// 2.x servers (tests/servers' package.json), driven by JSON commands on stdin, one result line of
// JSON on stdout per command.
// Each measurement reports wall time and this process's own CPU time (process.cpuUsage()), so
// the figures compare with the add-in's getrusage(RUSAGE_SELF) figures.
//
// Run by `examples/bench` (node tests/servers/bench/node-client.js); by hand:
//   echo '{"cmd":"connect","url":"http://127.0.0.1:3000/"}' | node tests/servers/bench/node-client.js
//
// COMMANDS (one JSON object per line); every answer has "ok" and, on failure, "error":
//   {"cmd":"connect","url":U,"client":"v4"|"v2","transports":["websocket"]|["polling"]}
//                                    forceNew, no reconnection; client v4 and websocket only
//                                    unless said otherwise; answers {"ok":true,"ms":…}
//   {"cmd":"warmup","n":N}           N sequential echo round trips (not measured)
//   {"cmd":"inbound","n":N,"bytes":B}  emit flood {n:N,event:"tick"}; wait for N `tick` events;
//                                    with B > 0 flood {n:N,event:"blob",bytes:B}: N `blob`
//                                    events of a B-byte Buffer each
//   {"cmd":"outbound","n":N,"bytes":B,"verify":"stats"|"count"|"none"}
//                                    emit `bench` i for i in 0..N in one loop (with B > 0: one
//                                    B-byte Buffer N times; over polling, 16 per POST), then
//                                    `echo` "done" and wait for it;
//                                    then ask the server how many it received
//   {"cmd":"rtt","n":N,"mode":"echo"|"ack"}   N sequential round trips: emit `echo` i and wait
//                                    for the `echo` event, or emit `ack` i with a callback
//   {"cmd":"acks","n":N,"window":K}  emit `ack` i with a callback for i in 0..N, at most K
//                                    unanswered at a time (one more per answer); until all N
//                                    answers are in
//   {"cmd":"paced","url":U,"client":"v4","transports":[…],"sockets":K,"rate":R,"seconds":S,"group":G}
//                                    connects K new sockets (forceNew; not measured), then each
//                                    emits `pace` {rate:R,seconds:S,group:G,sockets:K} and takes
//                                    `tick` seq, t until the server's `paced`: latency is the
//                                    wall-clock time in the handler minus t (../wallclock.js);
//                                    answers also "events", "missing", "out_of_order" (per
//                                    socket, against the server's counts) and the latencies'
//                                    "p50_us","p99_us"; the sockets are disconnected afterwards
//   {"cmd":"close"}                  disconnect
// Measurements answer {"ok":true,"wall_s":…,"cpu_s":…,"sys_s":…,"vcsw":…,"ivcsw":…,…}; rtt adds
// "p50_us","p99_us".
"use strict";

const path = require("path");
const readline = require("readline");
const { wallClockUs } = require(path.join(__dirname, "..", "wallclock"));
const modules = path.join(__dirname, "..", "node_modules");
const clients = {
  v4: require(path.join(modules, "socket.io-client")).io,
  // socket.io-client 2.x exports its `io` function itself.
  v2: require(path.join(modules, "sio2-client")),
};

let socket = null;

function cpuNow() {
  const u = process.cpuUsage();
  return { cpu: (u.user + u.system) / 1e6, sys: u.system / 1e6 };
}

/** Wall time, CPU time and context switches (voluntary, involuntary) of `fn` (an async function). */
async function measure(fn) {
  const usage0 = process.resourceUsage();
  const cpu0 = cpuNow();
  const t0 = process.hrtime.bigint();
  const extra = (await fn()) || {};
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu1 = cpuNow();
  const usage1 = process.resourceUsage();
  const vcsw = usage1.voluntaryContextSwitches - usage0.voluntaryContextSwitches;
  const ivcsw = usage1.involuntaryContextSwitches - usage0.involuntaryContextSwitches;
  return {
    ok: true,
    wall_s: wall,
    cpu_s: cpu1.cpu - cpu0.cpu,
    sys_s: cpu1.sys - cpu0.sys,
    vcsw,
    ivcsw,
    ...extra,
  };
}

/** A new socket of socket.io-client `client` to `url`, connected. */
async function open(client, url, transports) {
  const io = clients[client || "v4"];
  if (!io) throw new Error(`unknown client ${client}`);
  const s = io(url, { transports: transports || ["websocket"], forceNew: true, reconnection: false });
  await new Promise((resolve, reject) => {
    s.once("connect", resolve);
    s.once("connect_error", reject);
  });
  return s;
}

/** The `q`-quantile (nearest rank) of sorted `xs`. */
function quantile(xs, q) {
  return xs[Math.min(xs.length - 1, Math.floor(xs.length * q))];
}

function once(event) {
  return new Promise((resolve) => socket.once(event, resolve));
}

function withAck(event, ...args) {
  return new Promise((resolve) => socket.emit(event, ...args, (...answer) => resolve(answer)));
}

async function echoOnce(i) {
  const got = once("echo");
  socket.emit("echo", i);
  await got;
}

const commands = {
  async connect(c) {
    if (socket) socket.disconnect();
    const t0 = process.hrtime.bigint();
    socket = await open(c.client, c.url, c.transports);
    return { ok: true, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  },

  async warmup(c) {
    for (let i = 0; i < c.n; i++) await echoOnce(i);
    return { ok: true };
  },

  inbound(c) {
    return measure(
      () =>
        new Promise((resolve) => {
          const bytes = c.bytes || 0;
          const event = bytes > 0 ? "blob" : "tick";
          let got = 0;
          const onEvent = () => {
            if (++got === c.n) {
              socket.off(event, onEvent);
              resolve({ events: got });
            }
          };
          socket.on(event, onEvent);
          socket.emit("flood", { n: c.n, event, bytes });
        }),
    );
  },

  async outbound(c) {
    const before = await received(c.verify);
    // One Buffer for every emit, as the add-in's side passes one BinaryData value.
    const blob = c.bytes > 0 ? Buffer.alloc(c.bytes, 0x5a) : null;
    const r = await measure(async () => {
      if (blob && socket.io.engine.transport.name === "polling") {
        // socket.io-client puts everything pending into one POST; a few dozen MiB of them fail
        // ("xhr poll error"). Sixteen at a time, as the add-in sends them.
        for (let i = 0; i < c.n; i++) {
          socket.emit("bench", blob);
          if (i % 16 === 15) await new Promise((done) => socket.io.engine.once("drain", done));
        }
      } else if (blob) for (let i = 0; i < c.n; i++) socket.emit("bench", blob);
      else for (let i = 0; i < c.n; i++) socket.emit("bench", i);
      const done = once("echo");
      socket.emit("echo", "done");
      await done;
    });
    const after = await received(c.verify);
    // The server also counted the `echo` marker and the first query (`stats`/`count`).
    if (before !== null) r.server_received = after - before - 2;
    return r;
  },

  async rtt(c) {
    const lat = new Float64Array(c.n);
    const r = await measure(async () => {
      for (let i = 0; i < c.n; i++) {
        const t0 = process.hrtime.bigint();
        if (c.mode === "ack") await withAck("ack", i);
        else await echoOnce(i);
        lat[i] = Number(process.hrtime.bigint() - t0) / 1e3;
      }
    });
    lat.sort();
    r.p50_us = quantile(lat, 0.5);
    r.p99_us = quantile(lat, 0.99);
    return r;
  },

  async paced(c) {
    const sockets = [];
    for (let k = 0; k < c.sockets; k++) sockets.push(await open(c.client, c.url, c.transports));
    const spec = { rate: c.rate, seconds: c.seconds, group: c.group, sockets: c.sockets, event: "tick" };
    const lat = new Float64Array(Math.round(c.rate * c.seconds));
    let events = 0;
    let missing = 0;
    let outOfOrder = 0;
    wallClockUs(); // its first call calibrates it
    const r = await measure(
      () =>
        new Promise((resolve) => {
          let done = 0;
          for (const s of sockets) {
            let next = 0;
            let got = 0;
            s.on("tick", (seq, t) => {
              if (events < lat.length) lat[events] = wallClockUs() - t;
              events++;
              got++;
              if (seq !== next) outOfOrder++;
              next = seq + 1;
            });
            s.once("paced", (sent) => {
              missing += Math.max(0, sent - got);
              if (++done === sockets.length) resolve();
            });
            s.emit("pace", spec);
          }
        }),
    );
    for (const s of sockets) s.disconnect();
    const got = lat.subarray(0, Math.min(events, lat.length)).sort();
    return { ...r, events, missing, out_of_order: outOfOrder, p50_us: quantile(got, 0.5), p99_us: quantile(got, 0.99) };
  },

  acks(c) {
    return measure(
      () =>
        new Promise((resolve) => {
          let sent = 0;
          let answered = 0;
          const next = () => {
            const i = sent++;
            socket.emit("ack", i, () => {
              if (++answered === c.n) resolve({ acks: answered });
              else if (sent < c.n) next();
            });
          };
          while (sent < Math.min(c.n, c.window)) next();
        }),
    );
  },

  async close() {
    if (socket) socket.disconnect();
    socket = null;
    return { ok: true };
  },
};

/** How many events the server has received on this socket, or null when not asked. */
async function received(verify) {
  if (verify === "stats") return (await withAck("stats"))[0].events;
  if (verify === "count") {
    const got = once("count");
    socket.emit("count");
    return (await got).events;
  }
  return null;
}

// One command at a time, in order.
let chain = Promise.resolve();
/** Longest any command may take: a client that stopped (an event that never comes, a transport
 * error without reconnection) fails the benchmark with a message instead of hanging it. */
const COMMAND_DEADLINE_MS = 10 * 60 * 1000;

function withDeadline(promise, cmd) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${cmd}: no answer within ${COMMAND_DEADLINE_MS / 1000} s`)),
      COMMAND_DEADLINE_MS,
    );
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

readline.createInterface({ input: process.stdin, terminal: false }).on("line", (line) => {
  if (!line.trim()) return;
  chain = chain.then(async () => {
    let answer;
    try {
      const c = JSON.parse(line);
      const f = commands[c.cmd];
      answer = f ? await withDeadline(f(c), c.cmd) : { ok: false, error: `unknown command ${c.cmd}` };
    } catch (err) {
      answer = { ok: false, error: String((err && err.message) || err) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  });
}).on("close", () => chain.then(() => process.exit(0)));
