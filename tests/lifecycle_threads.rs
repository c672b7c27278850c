//! Threads of the 1C process: the add-in must not leave any behind, nor start more with more
//! objects. The shared runtime's threads start with the first object and never stop (by design,
//! `src/rt.rs`; the library is pinned against unloading), so the baseline is taken after a first
//! object has been created, connected and destroyed.
//!
//! One test in this binary on purpose: a thread count is process-wide, and tests running beside
//! it would move it.

mod common;

use std::time::{Duration, Instant};

use common::{client, connect, is_connection};
use testkit::host::{self, thread_count, Object};
use testkit::servers::{Server, ServerOptions};

/// Long enough for a loaded CI machine.
const WAIT: Duration = Duration::from_secs(30);

/// How many objects are connected at once in the second round.
const MANY: usize = 50;

/// Waits until `ok(thread_count())` holds, at most [`WAIT`]; the last count either way.
fn wait_threads(ok: impl Fn(usize) -> bool) -> (bool, usize) {
    let deadline = Instant::now() + WAIT;
    loop {
        let n = thread_count();
        if ok(n) {
            return (true, n);
        }
        if Instant::now() >= deadline {
            return (false, n);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn threads_return_to_the_baseline_and_do_not_grow_with_objects() {
    let server = Server::start(ServerOptions::default());
    let url = server.url("/");

    // Warm-up: the first object starts the shared runtime.
    let first = client();
    connect(&first, &url);
    first.call("Disconnect", &[]).unwrap();
    first.wait_event(WAIT, is_connection).expect("Close");
    first.done().unwrap();
    let baseline = thread_count();

    // One connected object.
    let one = client();
    connect(&one, &url);
    let with_one = thread_count();
    one.done().unwrap();
    let (ok, now) = wait_threads(|n| n == baseline);
    assert!(ok, "after one object: {now} threads, baseline {baseline}");

    // Many connected objects: no thread per object.
    let many: Vec<Object> = (0..MANY).map(|_| client()).collect();
    for obj in &many {
        connect(obj, &url);
    }
    let (ok, with_many) = wait_threads(|n| n <= with_one);
    assert!(
        ok,
        "{MANY} connected objects: {with_many} threads, one connected object: {with_one}"
    );
    for obj in many {
        obj.done().unwrap();
    }
    let (ok, now) = wait_threads(|n| n == baseline);
    assert!(
        ok,
        "after {MANY} objects: {now} threads, baseline {baseline}"
    );
    eprintln!(
        "threads: baseline {baseline}, one connected object {with_one}, {MANY} connected objects {with_many}"
    );
    drop(server);
    host::assert_clean();
    assert!(
        host::memory_report().is_clean(),
        "{:?}",
        host::memory_report()
    );
}
