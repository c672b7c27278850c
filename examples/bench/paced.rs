//! The paced scenario (issue 19 item 1, issue 20 item 4): the server's `pace` handler emits
//! evenly timed `tick seq, t` events (t: the emit's wall-clock time in µs), R a second for S
//! seconds, to one socket or in turn to K of them, then `paced n` to each. What a client pays per
//! event when events come at a steady rate, not in a flood, and how late they reach the code that
//! handles them.
//!
//! Ours: K new `Client` objects in this process with one 1C thread for all of them (the host's
//! [`Bell`]), in events mode or in notify mode; node: K new sockets in `node-client.js`
//! ([`NodeClient::paced`](crate::node::NodeClient::paced)). The latency of an event is the
//! wall-clock time it got to, minus its t: for ours in events mode both to the host's
//! `ExternalEvent` (the time the emulator stamps on each event) and to the 1C thread that took it
//! from the queue; in notify mode to the return of the `GetEvent` call that got it; for node to
//! its handler. Every object's events are checked: all that the server says it sent, in order.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use testkit::host::{Bell, RawEvent, V};

use crate::measure::quantile;
use crate::ours::{get_events, is_message, is_raw_message, measure, Ours};
use crate::Sample;

/// Deadline of any wait for the next event (a paced run sends one at least every second).
const WAIT: Duration = Duration::from_secs(60);

/// One paced configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pace {
    /// Events a second, in all.
    pub rate: usize,
    /// Objects (sockets) they are spread over, in turn.
    pub objects: usize,
    /// Ours in notify mode (`GetEvent`) rather than events mode; node's side is the same.
    pub notify: bool,
}

impl Pace {
    /// The events of a run of `seconds`.
    pub fn events(self, seconds: f64) -> usize {
        (self.rate as f64 * seconds).round() as usize
    }

    /// How the table names it.
    pub fn name(self) -> String {
        format!(
            "paced {}/s to {} {}, {}",
            self.rate,
            self.objects,
            if self.objects == 1 {
                "object"
            } else {
                "objects"
            },
            if self.notify {
                "notify mode (GetEvent)"
            } else {
                "events mode"
            }
        )
    }
}

/// A `pace` group name not used before in this process: the server starts a group once all of
/// its sockets asked.
pub fn group(client: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{client}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Microseconds since the epoch.
fn micros(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1e6)
}

/// The first two numbers after the name in a Message event's data (`["tick",seq,t]`,
/// `["paced",n]`): non-negative integers, as the pacer sends them; the name has no comma.
fn numbers(data: impl IntoIterator<Item = u16>) -> [Option<u64>; 2] {
    let mut out = [None; 2];
    // Which number is being read: none while in the name.
    let mut at: Option<usize> = None;
    for unit in data {
        if unit == u16::from(b',') {
            at = Some(at.map_or(0, |i| i + 1));
            if at == Some(out.len()) {
                break;
            }
        } else if let (Some(i), Some(d)) =
            (at, char::from_u32(unit.into()).and_then(|c| c.to_digit(10)))
        {
            out[i] = Some(out[i].unwrap_or(0) * 10 + u64::from(d));
        }
    }
    out
}

/// What one object got.
#[derive(Default)]
struct Tally {
    got: u64,
    /// The sequence number expected next.
    next: u64,
    out_of_order: usize,
    /// What the server says it sent (its `paced` event).
    sent: Option<u64>,
}

/// Everything the 1C thread saw of one run.
struct Arrivals {
    tallies: Vec<Tally>,
    /// Latencies to `ExternalEvent` (events mode), µs.
    to_platform: Vec<f64>,
    /// Latencies to the 1C thread's handler, µs.
    to_handler: Vec<f64>,
    /// Objects that got their `paced` event.
    done: usize,
}

impl Arrivals {
    fn new(objects: usize, events: usize) -> Arrivals {
        Arrivals {
            tallies: (0..objects).map(|_| Tally::default()).collect(),
            to_platform: Vec::with_capacity(events),
            to_handler: Vec::with_capacity(events),
            done: 0,
        }
    }

    /// Object `k` got `tick seq, t`: at the platform at `platform` (events mode), at the handler
    /// now.
    fn tick(&mut self, k: usize, [seq, t]: [Option<u64>; 2], platform: Option<SystemTime>) {
        let (Some(seq), Some(t)) = (seq, t) else {
            panic!("a tick without its sequence number and time");
        };
        let t = t as f64;
        self.to_handler.push(micros(SystemTime::now()) - t);
        if let Some(at) = platform {
            self.to_platform.push(micros(at) - t);
        }
        let tally = &mut self.tallies[k];
        tally.got += 1;
        tally.out_of_order += usize::from(seq != tally.next);
        tally.next = seq + 1;
    }

    /// Object `k` got `paced n`: the server sent it n ticks, all before this.
    fn paced(&mut self, k: usize, [n, _]: [Option<u64>; 2]) {
        self.tallies[k].sent = Some(n.expect("paced without its count"));
        self.done += 1;
    }

    /// The figures and checks of the run into `sample`.
    fn report(mut self, sample: &mut Sample) {
        sample.events = self.tallies.iter().map(|t| t.got as usize).sum();
        sample.missing = self
            .tallies
            .iter()
            .map(|t| t.sent.unwrap_or(0).saturating_sub(t.got) as usize)
            .sum();
        sample.out_of_order = self.tallies.iter().map(|t| t.out_of_order).sum();
        for lat in [&mut self.to_handler, &mut self.to_platform] {
            lat.sort_by(|a, b| a.total_cmp(b));
        }
        sample.p50_us = quantile(&self.to_handler, 0.5);
        sample.p99_us = quantile(&self.to_handler, 0.99);
        sample.platform_p50_us = quantile(&self.to_platform, 0.5);
        sample.platform_p99_us = quantile(&self.to_platform, 0.99);
    }
}

/// Ours: `pace.objects` new objects connected to `url` over `transport` (not measured), each asks
/// for its share of a paced run of `seconds`; one 1C thread takes the events of all until every
/// object got its `paced`. The objects leave afterwards.
pub fn ours(url: &str, transport: &str, pace: Pace, seconds: f64) -> Sample {
    let clients: Vec<Ours> = (0..pace.objects)
        .map(|_| Ours::connect(url, transport))
        .collect();
    let bell = Arc::new(Bell::new());
    let index: HashMap<usize, usize> = clients
        .iter()
        .enumerate()
        .map(|(k, c)| (c.object().id(), k))
        .collect();
    for c in &clients {
        let obj = c.object();
        if pace.notify {
            obj.set("DeliveryMode", V::from("notify"))
                .expect("DeliveryMode notify");
        }
        obj.ring(&bell);
        // Rung only when a queue goes from empty to not empty: start from empty ones.
        obj.drain();
    }
    let spec = format!(
        r#"{{"rate":{},"seconds":{seconds},"group":"{}","sockets":{},"event":"tick"}}"#,
        pace.rate,
        group("ours"),
        pace.objects
    );
    let (raw_tick, raw_paced) = (is_raw_message("tick"), is_raw_message("paced"));
    let (tick, paced) = (is_message("tick"), is_message("paced"));
    let mut arrivals = Arrivals::new(pace.objects, pace.events(seconds));
    let mut ready = Vec::with_capacity(pace.objects);
    let mut sample = measure(|| {
        for c in &clients {
            c.object()
                .call("SendJSON", &[V::from("pace"), V::from(spec.as_str())])
                .expect("SendJSON pace");
        }
        while arrivals.done < clients.len() {
            assert!(bell.take(WAIT, &mut ready), "no event within {WAIT:?}");
            for id in &ready {
                let k = index[id];
                let obj = clients[k].object();
                if pace.notify {
                    // Pending events: the handler drains the add-in's queue.
                    obj.take_events(Duration::ZERO, |_| {});
                    get_events(obj, |e| {
                        let data = || e.data.bytes().map(u16::from);
                        if tick(e) {
                            arrivals.tick(k, numbers(data()), None);
                        } else if paced(e) {
                            arrivals.paced(k, numbers(data()));
                        }
                    });
                } else {
                    obj.take_events(Duration::ZERO, |e: &RawEvent| {
                        let data = || e.data_units().iter().copied();
                        if raw_tick(e) {
                            arrivals.tick(k, numbers(data()), Some(e.received_at()));
                        } else if raw_paced(e) {
                            arrivals.paced(k, numbers(data()));
                        }
                    });
                }
            }
        }
    });
    sample.dropped = clients.iter().map(|c| c.object().dropped_events()).sum();
    arrivals.report(&mut sample);
    for c in clients {
        if pace.notify {
            // Back to events mode: `close` waits for the Close event itself, not a Pending one.
            c.object()
                .set("DeliveryMode", V::from("events"))
                .expect("DeliveryMode events");
        }
        c.close();
    }
    sample
}
