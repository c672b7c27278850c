// Wall-clock time in microseconds, on the system clock (CLOCK_REALTIME) that other processes read
// too, for latencies measured between processes (the `pace` handler of server.js stamps its
// events with it; bench/node-client.js and the add-in's host emulator read it on arrival).
//
// `performance.timeOrigin + performance.now()` has sub-microsecond resolution, but its origin is
// sampled once at start-up and was measured about 10 µs ahead of the system clock; `Date.now()`
// is the system clock itself, in whole milliseconds. So the two are compared right after
// `Date.now()` ticks over to the next millisecond, a few times: the edge seen least late gives
// the offset. That takes up to 20 ms, at the first call (not when loaded: every test starts a
// server), so a measurement makes one call before its clock starts.
"use strict";

const { performance } = require("perf_hooks");

/** Microseconds of `performance`'s clock. */
function performanceUs() {
  return (performance.timeOrigin + performance.now()) * 1000;
}

/** System clock minus `performance`'s clock, in microseconds. */
function measureOffset() {
  let best = -Infinity;
  for (let i = 0; i < 20; i++) {
    const before = Date.now();
    let now;
    while ((now = Date.now()) === before);
    // Read late (the loop was descheduled) the offset comes out low: keep the highest.
    best = Math.max(best, now * 1000 - performanceUs());
  }
  return best;
}

let offset = null;

/** Microseconds since the Unix epoch on the system clock, as an integer. */
function wallClockUs() {
  if (offset === null) offset = measureOffset();
  return Math.round(performanceUs() + offset);
}

module.exports = { wallClockUs };
