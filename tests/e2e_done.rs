//! `Done` stops an object's actors by closing their channels and then waits for them, at most
//! `DONE_WAIT` (2 s), cancelling whatever has not stopped by then. An actor that misses the end of
//! its channels is not visible in any event, only in `Done` running into that bound: so these tests
//! check that `Done` returns well before it, in every state an object can be in. (A bound check,
//! not a speed measurement: a normal `Done` takes milliseconds.)

mod common;

use std::time::{Duration, Instant};

use common::*;
use testkit::host::{Object, V};
use testkit::servers::{Server, ServerOptions};

/// `DONE_WAIT` of `src/component/mod.rs`: a `Done` that takes this long hit the bound.
const DONE_WAIT: Duration = Duration::from_secs(2);

/// Calls `Done` and checks that it did not wait for its bound.
fn done_promptly(obj: Object, state: &str) {
    let start = Instant::now();
    obj.done().expect("Done");
    let took = start.elapsed();
    assert!(
        took < DONE_WAIT,
        "{state}: Done took {took:?}, its bound: an actor did not notice that its channels closed"
    );
}

#[test]
fn done_does_not_wait_for_its_bound_in_any_state() {
    let server = Server::start(ServerOptions::default());

    done_promptly(client(), "never connected");

    let obj = client();
    connect(&obj, &server.url("/"));
    done_promptly(obj, "connected, alone on its connection");

    // Two namespaces on one Engine.IO connection: the first to go leaves the engine to the other.
    let a = client();
    let b = client();
    connect(&a, &server.url("/"));
    connect(&b, &server.url("/chat"));
    done_promptly(a, "connected, sharing its connection");
    done_promptly(b, "connected, the last on a shared connection");

    let obj = client();
    connect(&obj, &server.url("/"));
    obj.call("Disconnect", &[]).unwrap();
    expect_connection(&obj, CLOSE_NORMAL);
    done_promptly(obj, "disconnected");

    // Waiting for a reconnect attempt (the server is gone for this object's namespace).
    let obj = client();
    reconnect_fast(&obj, 60_000, 60_000);
    connect(&obj, &server.url("/"));
    obj.call("Send", &[V::from("close-transport"), V::Empty])
        .unwrap();
    obj.wait_event(WAIT, |e| e.event.contains(r#""State": "Close""#))
        .expect("Close");
    done_promptly(obj, "waiting to reconnect");

    // Sends waiting in the offline buffer and an acknowledgement waiting for its timeout.
    let obj = client();
    obj.call("Send", &[V::from("later"), V::from("x")]).unwrap();
    send_with_ack(&obj, "later", "[]", Some(60.0));
    done_promptly(obj, "offline, with sends buffered");
}
