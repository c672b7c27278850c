//! Delivery without loss, end to end through the C ABI: queue mode (`GetEvent`, `QueueLength`)
//! under a flood, events mode when the platform refuses events, and the bound of the offline
//! buffer.

mod common;

use std::time::Instant;

use common::*;
use testkit::host::{HostOptions, V};
use testkit::servers::{Server, ServerOptions};

/// The `i` of a `tick` Message event (`["tick",i]`).
#[test]
fn queue_mode_returns_a_10000_event_flood_in_order() {
    const N: i64 = 10_000;
    let server = Server::start(ServerOptions::default());
    let obj = client_with(&HostOptions::server());
    assert_eq!(obj.get("DeliveryMode").unwrap(), V::from("queue"));
    assert_eq!(get_event(&obj, 0), None);
    assert_eq!(obj.get("QueueLength").unwrap(), V::I32(0));
    obj.call("On", &[V::from("tick")]).unwrap();
    obj.call("Connect", &[V::from(server.url("/").as_str())])
        .unwrap();
    let open = get_event(&obj, 20_000).expect("Open in the queue");
    assert_eq!(
        (open.event.as_str(), open.data.as_str()),
        (OPEN, r#"{"Connection": "Open"}"#)
    );

    let started = Instant::now();
    let id = send_with_ack(&obj, "flood", &format!(r#"{{"n":{N}}}"#), Some(120.0));
    let mut ticks = Vec::with_capacity(N as usize);
    let mut ack = None;
    let mut max_queue = 0;
    while ack.is_none() {
        let ev = get_event(&obj, 20_000)
            .unwrap_or_else(|| panic!("the queue ran dry after {} ticks", ticks.len()));
        if let Some(i) = tick(&ev) {
            ticks.push(i);
        } else if is_ack(id)(&ev) {
            ack = Some(ev);
        } else {
            panic!("unexpected {ev:?}");
        }
        if ticks.len() % 1000 == 0 {
            let len = obj.get("QueueLength").unwrap().as_f64().expect("a Number");
            max_queue = max_queue.max(len as i64);
        }
    }
    let elapsed = started.elapsed();
    let ack = ack.expect("the flood's ack");
    assert_eq!(ack.event, ack_event(id, "flood", "Ok"));
    assert_eq!(ack.data, format!("[{N}]"));
    assert_eq!(ticks, (0..N).collect::<Vec<i64>>());
    assert_eq!(obj.get("QueueLength").unwrap(), V::I32(0));
    assert_eq!(get_event(&obj, 0), None);
    // Queue mode hands nothing to ExternalEvent.
    assert!(obj.drain().is_empty());
    eprintln!(
        "queue mode: {N} events through GetEvent in {elapsed:?} ({:.0} events/s), QueueLength up to {max_queue}",
        N as f64 / elapsed.as_secs_f64()
    );
}

#[test]
fn a_refusing_platform_loses_no_event() {
    const N: i64 = 300;
    let server = Server::start(ServerOptions::default());
    let obj = client_with(&HostOptions {
        event_overflow_returns_false: true,
        ..HostOptions::default()
    });
    assert_eq!(obj.get("DeliveryMode").unwrap(), V::from("events"));
    obj.set("EventBufferDepth", V::I32(10)).unwrap();
    assert_eq!(obj.event_buffer_depth(), 10);
    obj.call("On", &[V::from("tick")]).unwrap();
    connect(&obj, &server.url("/"));

    // Nobody takes events from the platform meanwhile: its buffer of 10 fills up.
    let id = send_with_ack(&obj, "flood", &format!(r#"{{"n":{N}}}"#), Some(120.0));
    let mut from_queue = Vec::new();
    loop {
        let ev = get_event(&obj, 20_000).expect("events moved to the queue");
        let done = is_ack(id)(&ev);
        from_queue.push(ev);
        if done {
            break;
        }
    }
    let first = from_queue.first().expect("something was moved");
    assert!(
        is_error(first),
        "the queue starts with the Error: {first:?}"
    );
    assert!(first.event.contains("GetEvent"), "{first:?}");
    let last_error = obj.get("LastError").unwrap();
    assert!(
        last_error
            .as_str()
            .is_some_and(|s| s.contains("ПолучитьСобытие")),
        "{last_error:?}"
    );

    // What the platform kept, then the notice once it has room again.
    let from_platform = obj.drain();
    let notice = obj
        .wait_event(WAIT, is_error)
        .expect("the Error event reaches the platform once it has room");
    assert!(notice.event.contains("moved to the queue"), "{notice:?}");

    let ticks: Vec<i64> = from_platform
        .iter()
        .chain(from_queue.iter())
        .filter_map(tick)
        .collect();
    assert_eq!(ticks, (0..N).collect::<Vec<i64>>());
    assert!(
        from_platform.iter().filter_map(tick).count() <= 10,
        "the platform held more than its depth"
    );
}

#[test]
fn the_offline_buffer_is_bounded_and_delivers_in_order() {
    const BOUND: i32 = 10_000;
    let server = Server::start(ServerOptions {
        extra_args: vec![],
        ..ServerOptions::default()
    });
    let obj = client();
    let mut accepted = 0;
    let err = loop {
        match obj.call("Send", &[V::from("n"), V::I32(accepted)]) {
            Ok(_) => accepted += 1,
            Err(err) => break err,
        }
        assert!(accepted <= BOUND, "the buffer took more than {BOUND}");
    };
    assert_eq!(accepted, BOUND);
    assert!(err.exception, "{err:?}");
    assert!(err.message.contains("10000"), "{err:?}");
    // SendJSON and SendWithAck are refused the same way, and take no room.
    assert!(obj
        .call("SendJSON", &[V::from("n"), V::from("[1]")])
        .is_err());
    assert!(obj
        .call("SendWithAck", &[V::from("n"), V::from("[1]")])
        .is_err());

    connect(&obj, &server.url("/"));
    let last = format!(r#""event":"n","args":[{}]"#, BOUND - 1);
    server
        .wait_line(WAIT, |l| l.contains(&last))
        .expect("the last buffered send");
    let got: Vec<i64> = server
        .lines()
        .iter()
        .filter(|l| l.contains(r#""event":"n""#))
        .map(|l| line_args(l)[0].as_i64().expect("a number"))
        .collect();
    assert_eq!(got, (0..i64::from(BOUND)).collect::<Vec<i64>>());
    // Connected, the buffer is free again.
    obj.call("Send", &[V::from("n"), V::I32(-1)]).unwrap();
    server
        .wait_line(WAIT, |l| l.contains(r#""event":"n","args":[-1]"#))
        .expect("a send after the flush");
}
