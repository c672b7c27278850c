//! Our add-in as the benchmark drives it: loaded through its C ABI by `testkit::host` (the 1C
//! host emulator), one `Client` object per run. Events are taken the way 1C's idle loop takes
//! them: wait for one, then drain whatever else is queued. The host's depth is raised so that
//! nothing is dropped (checked after every run).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use testkit::host::{library, Event, HostOptions, Object, RawEvent, V};

use crate::measure::{quantile, thread_use, thread_use_since, ThreadUse, Usage};
use crate::opened::wait_open;
use crate::{Received, Sample};

/// Deadline of any single wait: far above any healthy run, so a hang fails loudly.
const WAIT: Duration = Duration::from_secs(60);

/// How the round-trip scenario is measured: with `SendWithAck` when this build has it, or as an
/// echo (`Send("echo")` → the server's `echo` Message event) when it does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RttMode {
    /// `SendWithAck("ack", …)` → the Ack event.
    Ack,
    /// `Send("echo", i)` → Message `echo`.
    Echo,
}

/// One connected `Client` object.
pub struct Ours {
    obj: Object,
    /// Whether `SendWithAck` works in this build.
    pub ack: bool,
}

pub fn is_message(name: &'static str) -> impl Fn(&Event) -> bool {
    let key = format!(r#""Name": "{name}""#);
    move |e: &Event| e.event.starts_with(r#"{"Event": "Message""#) && e.event.contains(&key)
}

/// [`is_message`] on an event as the host queued it (UTF-16), without decoding it.
pub fn is_raw_message(name: &'static str) -> impl Fn(&RawEvent) -> bool {
    let prefix: Vec<u16> = r#"{"Event": "Message""#.encode_utf16().collect();
    let key: Vec<u16> = format!(r#""Name": "{name}""#).encode_utf16().collect();
    move |e: &RawEvent| {
        let units = e.event_units();
        units.starts_with(&prefix) && contains(&units[prefix.len()..], &key)
    }
}

/// Whether `needle` (not empty) occurs in `hay`.
fn contains(hay: &[u16], needle: &[u16]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    hay.iter()
        .enumerate()
        .any(|(i, &u)| u == first && hay[i + 1..].starts_with(rest))
}

const ACK_PREFIX: &str = r#"{"Event": "Ack""#;

fn is_ack(e: &Event) -> bool {
    e.event.starts_with(ACK_PREFIX)
}

/// [`is_ack`] on an event as the host queued it (UTF-16), without decoding it.
fn is_raw_ack() -> impl Fn(&RawEvent) -> bool {
    let prefix: Vec<u16> = ACK_PREFIX.encode_utf16().collect();
    move |e: &RawEvent| e.event_units().starts_with(&prefix)
}

impl Ours {
    /// A new object, connected to `url` over `transport` only (the Open event seen), with every
    /// event subscribed.
    pub fn connect(url: &str, transport: &str) -> Ours {
        let obj = library()
            .create("Client", &HostOptions::default())
            .expect("create the Client object");
        // 1C keeps no history of events; a flood would otherwise keep every one.
        obj.keep_history(false);
        obj.set("EventBufferDepth", V::I32(10_000_000))
            .expect("EventBufferDepth");
        obj.set("Timeout", V::from("30")).expect("Timeout");
        obj.set("Transports", V::from(transport))
            .expect("Transports");
        obj.call("On", &[V::from("*")]).expect("On *");
        obj.call("Connect", &[V::from(url)]).expect("Connect");
        wait_open(&obj, WAIT);
        // A build without acknowledgements refuses SendWithAck at once.
        let ack = obj
            .call("SendWithAck", &[V::from("ack"), V::from("[0]")])
            .is_ok();
        if ack {
            obj.wait_event(WAIT, is_ack).expect("the first Ack event");
        }
        Ours { obj, ack }
    }

    /// The object, for a scenario that drives it itself.
    pub fn object(&self) -> &Object {
        &self.obj
    }

    /// The round-trip mode this object supports.
    pub fn rtt_mode(&self) -> RttMode {
        if self.ack {
            RttMode::Ack
        } else {
            RttMode::Echo
        }
    }

    /// `n` echo round trips, not measured.
    pub fn warmup(&self, n: usize) {
        for i in 0..n {
            self.echo(i);
        }
    }

    fn echo(&self, i: usize) {
        self.obj
            .call("Send", &[V::from("echo"), V::I32(i as i32)])
            .expect("Send echo");
        self.obj
            .wait_event(WAIT, is_message("echo"))
            .expect("the echo");
    }

    /// The server's `flood` of `n` small `tick` events, until the last one reached
    /// `ExternalEvent` and was taken from the host's queue.
    pub fn inbound(&self, n: usize) -> Sample {
        self.flood(n, "tick", format!(r#"{{"n":{n},"event":"tick"}}"#))
    }

    /// The server's `flood` of `n` `blob` events of a `bytes`-long binary attachment each (a
    /// Message event of `"Type": "Binary"` with the bytes in base64), until the last one was
    /// taken from the host's queue.
    pub fn inbound_binary(&self, n: usize, bytes: usize) -> Sample {
        let spec = format!(r#"{{"n":{n},"event":"blob","bytes":{bytes}}}"#);
        self.flood(n, "blob", spec)
    }

    /// `SendJSON("flood", spec)`, then takes events until `n` Message events `event` came.
    fn flood(&self, n: usize, event: &'static str, spec: String) -> Sample {
        let tick = is_raw_message(event);
        let mut sample = measure(|| {
            self.obj
                .call("SendJSON", &[V::from("flood"), V::from(spec.as_str())])
                .expect("SendJSON flood");
            let mut got = 0;
            while got < n {
                // Wait for one, then take everything queued (not decoded, as 1C keeps it).
                let taken = self.obj.take_events(WAIT, |e| got += usize::from(tick(e)));
                assert!(taken > 0, "no {event} within {WAIT:?}");
            }
        });
        sample.dropped = self.obj.dropped_events();
        sample
    }

    /// [`Ours::inbound`] with the 1C thread woken only once all `n` events are queued: the
    /// add-in's cost without the 1C thread's wake-ups (it is busy elsewhere, as a real 1C
    /// handler often is, and takes everything at the end).
    pub fn inbound_core(&self, n: usize) -> Sample {
        self.obj.wake_1c_at(n);
        let sample = self.inbound(n);
        self.obj.wake_1c_at(1);
        sample
    }

    /// [`Ours::inbound`] in notify mode: the events wait in the add-in's queue, and the 1C
    /// thread, woken by a Pending event, drains it with `GetEvent` (one call through the C ABI
    /// per event, as 1C code makes it), until all `n` came.
    pub fn inbound_notify(&self, n: usize) -> Sample {
        let obj = &self.obj;
        obj.set("DeliveryMode", V::from("notify"))
            .expect("DeliveryMode notify");
        let spec = format!(r#"{{"n":{n},"event":"tick"}}"#);
        let tick = is_message("tick");
        let mut sample = measure(|| {
            obj.call("SendJSON", &[V::from("flood"), V::from(spec.as_str())])
                .expect("SendJSON flood");
            let mut got = 0;
            while got < n {
                // The Pending events: the handler runs, and drains whatever waits.
                let pending = obj.take_events(WAIT, |_| {});
                assert!(pending > 0, "no Pending event within {WAIT:?}");
                get_events(obj, |event| got += usize::from(tick(event)));
            }
        });
        sample.dropped = obj.dropped_events();
        obj.set("DeliveryMode", V::from("events"))
            .expect("DeliveryMode events");
        // A Pending event that came after the last drain says nothing to the next scenario.
        obj.drain();
        sample
    }

    /// `n` calls of `Send("bench", i)`, then `Send("echo", "done")`; ends when that echo is
    /// back, so every `bench` was received by the server before (one websocket, in order).
    pub fn outbound(&self, n: usize, verify: Received) -> Sample {
        self.sends(n, verify, V::I32(0), |i, message| {
            *message = V::I32(i as i32)
        })
    }

    /// [`Ours::outbound`] with one `bytes`-long `BinaryData` as each `bench`'s message: the host
    /// copies it into a new tVariant for every call and back after it, as 1C passes a variable.
    pub fn outbound_binary(&self, n: usize, bytes: usize, verify: Received) -> Sample {
        self.sends(n, verify, V::Blob(vec![0x5a; bytes]), |_, _| {})
    }

    /// `n` calls of `Send("bench", message)`, `next(i, message)` before each, ended by an echo
    /// marker.
    fn sends(
        &self,
        n: usize,
        verify: Received,
        message: V,
        next: impl Fn(usize, &mut V),
    ) -> Sample {
        let before = self.received(verify);
        let mut args = [V::from("bench"), message];
        let mut sample = measure(|| {
            for i in 0..n {
                next(i, &mut args[1]);
                self.obj.call_out("Send", &mut args).expect("Send bench");
            }
            self.obj
                .call("Send", &[V::from("echo"), V::from("done")])
                .expect("Send echo");
            self.obj
                .wait_event(WAIT, is_message("echo"))
                .expect("the echo marker");
        });
        if let (Some(b), Some(a)) = (before, self.received(verify)) {
            // The server also counted the marker and the first query.
            sample.server_received = Some(a - b - 2);
        }
        sample
    }

    /// How many events the server counted on this socket, when it can tell us.
    fn received(&self, verify: Received) -> Option<u64> {
        let data = match verify {
            Received::None => return None,
            Received::Stats if self.ack => {
                self.obj
                    .call("SendWithAck", &[V::from("stats"), V::from("[]")])
                    .expect("SendWithAck stats");
                self.obj.wait_event(WAIT, is_ack).expect("stats ack").data
            }
            Received::Stats => return None,
            Received::Count => {
                self.obj
                    .call("Send", &[V::from("count"), V::Empty])
                    .expect("Send count");
                self.obj
                    .wait_event(WAIT, is_message("count"))
                    .expect("count")
                    .data
            }
        };
        let v: serde_json::Value = serde_json::from_str(&data).expect("count JSON");
        v.as_array()?.iter().find_map(|x| x.get("events")?.as_u64())
    }

    /// `n` sequential round trips; the latencies in microseconds.
    pub fn rtt(&self, n: usize) -> Sample {
        let mode = self.rtt_mode();
        let mut lat = Vec::with_capacity(n);
        let mut sample = measure(|| {
            for i in 0..n {
                let t0 = Instant::now();
                match mode {
                    RttMode::Echo => self.echo(i),
                    RttMode::Ack => {
                        self.send_ack(i);
                        self.obj.wait_event(WAIT, is_ack).expect("the Ack event");
                    }
                }
                lat.push(t0.elapsed().as_secs_f64() * 1e6);
            }
        });
        lat.sort_by(|a, b| a.total_cmp(b));
        sample.p50_us = quantile(&lat, 0.5);
        sample.p99_us = quantile(&lat, 0.99);
        sample
    }

    /// `n` calls of `SendWithAck("ack", [i])` with up to `window` unanswered at any time: a new
    /// one for each Ack event taken, the way a 1C job sends documents and counts confirmations.
    /// Ends when all `n` Ack events were taken.
    pub fn acks(&self, n: usize, window: usize) -> Sample {
        assert!(self.ack, "this build has no SendWithAck");
        let ack = is_raw_ack();
        measure(|| {
            let (mut sent, mut answered) = (0, 0);
            while answered < n {
                while sent < n && sent - answered < window {
                    self.send_ack(sent);
                    sent += 1;
                }
                let taken = self
                    .obj
                    .take_events(WAIT, |e| answered += usize::from(ack(e)));
                assert!(taken > 0, "no Ack within {WAIT:?}");
            }
        })
    }

    /// `SendWithAck("ack", [i])`: the server acknowledges with `i`.
    fn send_ack(&self, i: usize) {
        self.obj
            .call(
                "SendWithAck",
                &[V::from("ack"), V::from(format!("[{i}]").as_str())],
            )
            .expect("SendWithAck");
    }

    /// `n` sequential connects of a new object to `url` over `transport`, `Connect` to the Open
    /// event, p50/p99 in microseconds (each object then leaves, unmeasured).
    pub fn connects(url: &str, transport: &str, n: usize) -> Sample {
        let mut lat = Vec::with_capacity(n);
        for _ in 0..n {
            let obj = library()
                .create("Client", &HostOptions::default())
                .expect("create the Client object");
            obj.set("Transports", V::from(transport))
                .expect("Transports");
            let t0 = Instant::now();
            obj.call("Connect", &[V::from(url)]).expect("Connect");
            wait_open(&obj, WAIT);
            lat.push(t0.elapsed().as_secs_f64() * 1e6);
            Ours { obj, ack: false }.close();
        }
        lat.sort_by(|a, b| a.total_cmp(b));
        Sample {
            wall_s: lat.iter().sum::<f64>() / 1e6,
            p50_us: quantile(&lat, 0.5),
            p99_us: quantile(&lat, 0.99),
            ..Sample::default()
        }
    }

    /// `Disconnect`, then `Done` and `DestroyObject`.
    pub fn close(self) {
        let _ = self.obj.call("Disconnect", &[]);
        let _ = self
            .obj
            .wait_event(WAIT, |e| e.event.contains(r#""State": "Close""#));
        self.obj.done().expect("Done");
    }
}

/// What a notify-mode handler does when a Pending event comes: `GetEvent` until it answers
/// false (one call through the C ABI per event, as 1C code makes it), each event to `f`.
pub fn get_events(obj: &Object, mut f: impl FnMut(&Event)) {
    let mut args = [V::Empty, V::Empty, V::I32(0)];
    while obj.call_out("GetEvent", &mut args).expect("GetEvent") == V::Bool(true) {
        let [V::Str(event), V::Str(data), _] = &mut args else {
            panic!("GetEvent wrote {args:?}");
        };
        f(&Event {
            source: String::new(),
            event: std::mem::take(event),
            data: std::mem::take(data),
        });
    }
}

/// Runs `f` and reports its wall time, this process's CPU time and context switches, and the
/// CPU time and context switches per thread.
pub fn measure(f: impl FnOnce()) -> Sample {
    let threads0 = thread_use();
    let u0 = Usage::now();
    let t0 = Instant::now();
    f();
    let wall_s = t0.elapsed().as_secs_f64();
    let used = Usage::now().since(u0);
    let threads: BTreeMap<String, ThreadUse> = thread_use_since(&thread_use(), &threads0);
    Sample {
        wall_s,
        cpu_s: used.cpu_s,
        sys_s: used.sys_s,
        vcsw: used.vcsw as f64,
        ivcsw: used.ivcsw as f64,
        threads,
        ..Sample::default()
    }
}
