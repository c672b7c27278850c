//! Notify mode end to end through the C ABI, against a platform whose event buffer drops the
//! newest events while its 1C thread is busy and still answers true (`testkit::host::Thread1C`):
//! events mode loses events there (the platform's loss: the add-in cannot see it), notify mode
//! loses none, with a 1C thread that works 1 ms per event and loses Pending events, and with one
//! that drains only every few seconds.

mod common;

use std::ops::ControlFlow;
use std::time::Duration;

use common::*;
use testkit::host::{Event, Object, Thread1C, Work, V};
use testkit::servers::{Server, ServerOptions};

/// The Pending event's `Событие` text starts so.
const PENDING: &str = r#"{"Event": "Queue","State": "Pending","Length": "#;
/// The Pending event's `Данные`.
const PENDING_DATA: &str = r#"{"Queue": "Pending"}"#;

/// A flood this long takes about 100 s at 1 ms per event: the deadline of a whole run.
const FLOOD_WAIT: Duration = Duration::from_secs(900);

fn is_pending(e: &Event) -> bool {
    e.event.starts_with(PENDING) && e.data == PENDING_DATA
}

/// A notify-mode object (EventBufferDepth 1: Pending events beyond the one waiting are dropped)
/// subscribed to `tick` and connected to `server`: the Open event comes through the queue.
fn notify_client(server: &Server) -> Object {
    let obj = client();
    obj.set("DeliveryMode", V::from("notify")).unwrap();
    assert_eq!(obj.get("DeliveryMode").unwrap(), V::from("notify"));
    obj.set("EventBufferDepth", V::I32(1)).unwrap();
    obj.call("On", &[V::from("tick")]).unwrap();
    obj.call("Connect", &[V::from(server.url("/").as_str())])
        .unwrap();
    let pending = obj.wait_event(WAIT, |_| true).expect("a Pending event");
    assert!(is_pending(&pending), "{pending:?}");
    let open = get_event(&obj, 0).expect("Open in the queue");
    assert_eq!(open.event, OPEN);
    assert_eq!(get_event(&obj, 0), None);
    obj
}

/// What a notify-mode handler has taken from the queue so far.
#[derive(Default)]
struct Drained {
    ticks: Vec<i64>,
    ack: Option<Event>,
    other: Vec<Event>,
}

impl Drained {
    /// `Пока Клиент.ПолучитьСобытие(Событие, Данные, 0) Цикл ... КонецЦикла;`, working
    /// `per_event` on each event, for at most `limit` events. Breaks once the flood's ack (`id`)
    /// came.
    fn drain(
        &mut self,
        obj: &Object,
        id: u64,
        work: &mut Work,
        per_event: Duration,
        limit: usize,
    ) -> ControlFlow<()> {
        for _ in 0..limit {
            let Some(ev) = get_event(obj, 0) else { break };
            work.work(per_event);
            if let Some(i) = tick(&ev) {
                self.ticks.push(i);
            } else if is_ack(id)(&ev) {
                self.ack = Some(ev);
            } else {
                self.other.push(ev);
            }
        }
        if self.ack.is_some() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    /// The whole flood of `n` came, in order, then its ack, and nothing else.
    fn assert_whole(&self, n: i64) {
        assert_eq!(self.other, Vec::<Event>::new(), "unexpected events");
        assert_eq!(self.ticks.len() as i64, n, "ticks received");
        assert!(self.ticks.iter().copied().eq(0..n), "ticks out of order");
        let ack = self.ack.as_ref().expect("the flood's ack");
        assert_eq!(ack.data, format!("[{n}]"));
    }
}

#[test]
fn the_pending_event_is_sent_again_while_1c_does_not_pull() {
    let server = Server::start(ServerOptions::default());
    let obj = client();
    obj.set("DeliveryMode", V::from("Уведомление")).unwrap();
    assert_eq!(obj.get("DeliveryMode").unwrap(), V::from("notify"));
    obj.call("Connect", &[V::from(server.url("/").as_str())])
        .unwrap();
    // Nobody pulls: the first Pending (the queue went from empty to not empty), then the same
    // again after a second, each naming the one event that waits.
    for _ in 0..2 {
        let pending = obj.wait_event(WAIT, |_| true).expect("a Pending event");
        assert_eq!(
            (pending.event.as_str(), pending.data.as_str()),
            (
                r#"{"Event": "Queue","State": "Pending","Length": 1}"#,
                PENDING_DATA
            )
        );
        assert_eq!(obj.get("QueueLength").unwrap(), V::I32(1));
    }
    let open = get_event(&obj, 0).expect("Open in the queue");
    assert_eq!(open.event, OPEN);
    assert_eq!(obj.get("Connected").unwrap(), V::Bool(true));
    obj.call("Disconnect", &[]).unwrap();
    let pending = obj.wait_event(WAIT, |_| true).expect("a Pending event");
    assert!(is_pending(&pending), "{pending:?}");
    let close = get_event(&obj, 0).expect("Close in the queue");
    assert_eq!(close.event, CLOSE_NORMAL);
}

#[test]
fn events_mode_loses_what_the_platform_drops_while_1c_is_busy() {
    const N: usize = 2_000;
    const DEPTH: usize = 10;
    let server = Server::start(ServerOptions::default());
    let obj = client();
    obj.set("EventBufferDepth", V::I32(DEPTH as i32)).unwrap();
    obj.call("On", &[V::from("tick")]).unwrap();
    connect(&obj, &server.url("/"));
    assert_eq!(obj.dropped_events(), 0);

    // The flood's ticks and its ack, each one ExternalEvent call.
    let offered = obj.offered_events() + N + 1;
    let id = send_with_ack(&obj, "flood", &format!(r#"{{"n":{N}}}"#), Some(600.0));
    let mut got = Drained::default();
    let mut first = true;
    let mut thread = Thread1C::new(&obj);
    let finished = thread.run(FLOOD_WAIT, offered, |obj, ev, work| {
        if first {
            // A form that runs long code: busy until the add-in has handed over the whole flood.
            first = false;
            assert!(
                obj.wait_offered(offered, FLOOD_WAIT),
                "the flood was not offered"
            );
        }
        work.work(Duration::from_millis(1));
        if let Some(i) = tick(ev) {
            got.ticks.push(i);
        } else if is_ack(id)(ev) {
            got.ack = Some(ev.clone());
        } else {
            got.other.push(ev.clone());
        }
        ControlFlow::Continue(())
    });
    assert!(finished, "the 1C thread ran out of time");

    // The platform kept the event the handler took and the DEPTH after it, dropped the rest and
    // answered true each time: the add-in saw nothing, and neither does 1C code.
    let lost = N + 1 - got.ticks.len() - usize::from(got.ack.is_some());
    eprintln!(
        "events mode, silently dropping platform: {lost} of {} events lost",
        N + 1
    );
    assert_eq!(got.ticks, (0..=DEPTH as i64).collect::<Vec<i64>>());
    assert_eq!(lost, N - DEPTH);
    assert_eq!(obj.dropped_events(), lost);
    assert_eq!(last_error(&obj), "", "the add-in could not know");
}

/// What a notify-mode flood run saw on the platform's side.
struct FloodRun {
    /// Pending events the handler ran for.
    handled: usize,
    /// Pending events the 1C thread lost (`Thread1C::losing`).
    lost: usize,
    /// Events the platform's buffer dropped.
    dropped: usize,
}

/// A flood of `n` ticks into a notify-mode object whose 1C thread loses the events `lose` picks
/// and runs `handle` for each Pending event (with the flood's ack id); checks that the whole
/// flood came, in order.
fn notify_flood(
    n: i64,
    lose: impl FnMut(&Event) -> bool,
    mut handle: impl FnMut(&Object, u64, &mut Drained, &mut Work) -> ControlFlow<()>,
) -> FloodRun {
    let server = Server::start(ServerOptions::default());
    let obj = notify_client(&server);
    let id = send_with_ack(&obj, "flood", &format!(r#"{{"n":{n}}}"#), Some(600.0));
    let mut got = Drained::default();
    let mut thread = Thread1C::new(&obj).losing(lose);
    let finished = thread.run(FLOOD_WAIT, usize::MAX, |obj, ev, work| {
        assert!(
            is_pending(ev),
            "only Pending events reach the platform: {ev:?}"
        );
        handle(obj, id, &mut got, work)
    });
    assert!(finished, "the 1C thread ran out of time");
    got.assert_whole(n);
    FloodRun {
        handled: thread.handled(),
        lost: thread.lost(),
        dropped: obj.dropped_events(),
    }
}

#[test]
fn notify_mode_delivers_100000_events_to_a_1c_that_works_1_ms_each_and_loses_pending_events() {
    const N: i64 = 100_000;
    // The platform loses every other Pending event, the first among them: only the re-send
    // after a second tells 1C that the flood waits.
    let mut pendings = 0;
    let run = notify_flood(
        N,
        |ev| {
            pendings += 1;
            is_pending(ev) && pendings % 2 == 1
        },
        |obj, id, got, work| got.drain(obj, id, work, Duration::from_millis(1), usize::MAX),
    );
    assert!(run.lost >= 1, "no Pending event was lost");
    eprintln!(
        "notify mode, 1 ms per event: {N} events whole; Pending events: {} handled, \
         {} lost by the 1C thread, {} dropped by the buffer",
        run.handled, run.lost, run.dropped
    );
}

#[test]
fn notify_mode_loses_nothing_when_1c_drains_only_every_few_seconds() {
    // More than the queue holds (QUEUE_CAPACITY, 100 000): the add-in waits for room, and keeps
    // reminding 1C meanwhile; 1C drains at least three times.
    const N: i64 = 250_000;
    let run = notify_flood(
        N,
        |_| false,
        |obj, id, got, work| {
            // A form that runs long code before it gets to its events, and then takes only
            // those that waited when it looked: the rest wait for the next Pending event.
            work.work(Duration::from_secs(3));
            let waiting = obj.get("QueueLength").unwrap().as_f64().expect("a Number");
            got.drain(obj, id, work, Duration::ZERO, waiting as usize)
        },
    );
    assert!(run.handled >= 3, "drained {} times", run.handled);
    eprintln!(
        "notify mode, draining every 3 s: {N} events whole; Pending events: {} handled, \
         {} dropped by the buffer",
        run.handled, run.dropped
    );
}
