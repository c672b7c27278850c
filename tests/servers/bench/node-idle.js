#!/usr/bin/env node
// The reference side of `examples/bench_scale` (issue 19, idle cost): N sockets of the official
// socket.io-client 4.x (forceNew, websocket, no reconnection, as N independent objects are) in
// this one process, connected all at once or one at a time, then left idle; what they cost.
//
//   node tests/servers/bench/node-idle.js N URL "all at once"|"one at a time" IDLE_S
//
// Prints one JSON line:
//   {"connect_s":…, "rss_base":B, "rss_created":B, "rss_connected":B, "cpu_s":…, "vcsw":…,
//    "ivcsw":…, "connected_after":N}
// rss_base: after one warm-up socket came and went; rss_created: the N socket objects made
// (node creates and connects in one call, so this equals rss_base here); rss_connected: 2 s
// after the last connect; cpu_s, vcsw, ivcsw: this process over the IDLE_S seconds that follow
// (process.cpuUsage() and process.resourceUsage(), the figures getrusage gives the add-in's
// side); connected_after: sockets still connected at the end.
"use strict";

const path = require("path");
const { io } = require(path.join(__dirname, "..", "node_modules", "socket.io-client"));

const [n, url, mode, idleS] = [Number(process.argv[2]), process.argv[3], process.argv[4], Number(process.argv[5])];
if (!(n > 0) || !url || !mode || !(idleS >= 0)) {
  console.error('usage: node-idle.js N URL "all at once"|"one at a time" IDLE_S');
  process.exit(2);
}

const options = { forceNew: true, transports: ["websocket"], reconnection: false };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function open() {
  const socket = io(url, options);
  const connected = new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return { socket, connected };
}

async function main() {
  const warm = open();
  await warm.connected;
  warm.socket.close();
  await sleep(500);
  const rssBase = process.memoryUsage().rss;

  const sockets = [];
  const t0 = process.hrtime.bigint();
  if (mode === "one at a time") {
    for (let i = 0; i < n; i++) {
      const s = open();
      sockets.push(s.socket);
      await s.connected;
    }
  } else {
    const all = [];
    for (let i = 0; i < n; i++) {
      const s = open();
      sockets.push(s.socket);
      all.push(s.connected);
    }
    await Promise.all(all);
  }
  const connectS = Number(process.hrtime.bigint() - t0) / 1e9;
  await sleep(2000);
  const rssConnected = process.memoryUsage().rss;

  const cpu0 = process.cpuUsage();
  const ru0 = process.resourceUsage();
  await sleep(idleS * 1000);
  const cpu = process.cpuUsage(cpu0);
  const ru = process.resourceUsage();
  const connectedAfter = sockets.filter((s) => s.connected).length;
  console.log(
    JSON.stringify({
      connect_s: connectS,
      rss_base: rssBase,
      rss_created: rssBase,
      rss_connected: rssConnected,
      cpu_s: (cpu.user + cpu.system) / 1e6,
      vcsw: ru.voluntaryContextSwitches - ru0.voluntaryContextSwitches,
      ivcsw: ru.involuntaryContextSwitches - ru0.involuntaryContextSwitches,
      connected_after: connectedAfter,
    }),
  );
  for (const s of sockets) s.close();
  process.exit(0);
}

main().catch((err) => {
  console.error(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
