//! Tests of the test rig itself. A check that never fires proves nothing, so both hosts are run
//! against a mock add-in (`tests/cpp_host/mock_addin.cpp`) that behaves, and that breaks the
//! Native API contract on request; each breach must be reported, without crashing the host.
//!
//! These tests deliberately cause violations, so they filter them per object
//! ([`Object::violations`]) and never call `host::assert_clean()`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use testkit::host::{self, ErrorKind, HostOptions, Library, Object, V};

fn mock_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        host::build_mock_addin().unwrap_or_else(|e| panic!("cannot build the mock add-in: {e}"))
    })
}

fn mock() -> &'static Library {
    static LIB: OnceLock<Library> = OnceLock::new();
    LIB.get_or_init(|| {
        Library::load(mock_path()).unwrap_or_else(|e| panic!("cannot load the mock: {e}"))
    })
}

fn create() -> Object {
    mock()
        .create("Client", &HostOptions::default())
        .expect("create the mock Client")
}

/// Asserts one violation of this object mentions `needle`.
fn assert_reported(obj: &Object, needle: &str) {
    let v = obj.violations();
    assert!(
        v.iter().any(|t| t.contains(needle)),
        "no violation mentioning {needle:?}; got {v:?}"
    );
}

// ----- the emulator on a well-behaved add-in ----------------------------------------------------

#[test]
fn a_well_behaved_add_in_leaves_no_violation_and_no_block() {
    let obj = create();
    let probe = obj.probe();
    assert_eq!(mock().class_names(), ["Client"]);
    assert_eq!(obj.get("Version").unwrap(), V::from("0.0.0-mock"));
    obj.set("Timeout", 9).unwrap();
    assert_eq!(obj.get("таймаут").unwrap(), V::from("9"));
    obj.set("EventSource", "Источник 😀").unwrap();
    assert_eq!(obj.get("EventSource").unwrap(), V::from("Источник 😀"));
    for v in [
        V::Empty,
        V::Bool(true),
        V::I32(-7),
        V::F64(2.5),
        V::from("строка"),
        V::Blob(vec![0, 1, 255]),
    ] {
        assert_eq!(obj.call("Echo", std::slice::from_ref(&v)).unwrap(), v);
    }
    assert_eq!(obj.prop_name(3, 1).as_deref(), Some("Версия"));
    obj.done().expect("clean teardown");
    assert!(probe.memory().is_clean(), "{probe:?}");
    assert!(probe.memory().allocations > 0);
    assert_eq!(probe.violations(), Vec::<String>::new());
}

#[test]
fn in_out_parameters_are_read_back_and_freed() {
    let obj = create();
    let probe = obj.probe();
    let mut args = [V::from("first"), V::from("second")];
    obj.call_out("Swap", &mut args).unwrap();
    assert_eq!(args, [V::from("second"), V::from("first")]);
    let mut args = [V::I32(1), V::from("two")];
    obj.call_out("Swap", &mut args).unwrap();
    assert_eq!(args, [V::from("two"), V::I32(1)]);
    obj.done().unwrap();
    assert!(probe.memory().is_clean(), "{probe:?}");
}

#[test]
fn add_error_with_scode_zero_is_a_message_and_false_is_an_exception() {
    let obj = create();
    assert_eq!(obj.call("Warn", &[]).unwrap(), V::Empty);
    let last = obj.errors().pop().expect("AddError recorded");
    assert_eq!((last.scode, last.descr.as_str()), (0, "just a message"));
    let err = obj.call("Fail", &[]).unwrap_err();
    assert_eq!(
        (err.kind, err.exception, err.message.as_str()),
        (ErrorKind::Raised, true, "Fail was called")
    );
    let err = obj.set("Timeout", true).unwrap_err();
    assert_eq!((err.exception, err.message.as_str()), (true, "wrong type"));
    obj.done().unwrap();
}

#[test]
fn the_queue_keeps_the_oldest_and_drops_the_newest_when_full() {
    let obj = create();
    assert_eq!(obj.event_buffer_depth(), 1, "1C's initial depth");
    obj.call("Emit", &[V::I32(5)]).unwrap();
    assert_eq!(obj.queued_events(), 1);
    assert_eq!(obj.dropped_events(), 4);
    assert_eq!(obj.next_event(Duration::ZERO).unwrap().data, "1");

    obj.call("Depth", &[V::I32(10)]).unwrap();
    assert_eq!(obj.event_buffer_depth(), 10);
    obj.call("Emit", &[V::I32(5)]).unwrap();
    let third = obj
        .wait_event(Duration::ZERO, |e| e.data == "3")
        .expect("event 3");
    assert_eq!(
        (third.source.as_str(), third.event.as_str()),
        ("mock", "tick")
    );
    let skipped: Vec<String> = obj.seen().into_iter().map(|e| e.data).collect();
    assert_eq!(skipped, ["1", "2"]);
    assert_eq!(obj.next_event(Duration::ZERO).unwrap().data, "4");
    assert_eq!(
        obj.drain().into_iter().map(|e| e.data).collect::<Vec<_>>(),
        ["5"]
    );
    let history: Vec<String> = obj.history().into_iter().map(|e| e.data).collect();
    assert_eq!(history, ["1", "1", "2", "3", "4", "5"]);

    obj.call("Emit", &[V::I32(12)]).unwrap();
    obj.call("Depth", &[V::I32(4)]).unwrap();
    assert_eq!(
        obj.queued_events(),
        4,
        "a smaller depth deletes the latest events"
    );
    assert_eq!(obj.dropped_events(), 4 + 2 + 6);
    assert_eq!(obj.violations(), Vec::<String>::new());
    obj.done().unwrap();
}

#[test]
fn take_events_hands_out_the_whole_queue_as_queued() {
    let obj = create();
    obj.call("Depth", &[V::I32(10)]).unwrap();
    assert_eq!(
        obj.take_events(Duration::ZERO, |e| panic!("nothing is queued: {e:?}")),
        0
    );
    obj.call("Emit", &[V::I32(3)]).unwrap();
    let mut taken = Vec::new();
    assert_eq!(
        obj.take_events(Duration::ZERO, |e| taken.push(e.clone())),
        3
    );
    assert_eq!(obj.queued_events(), 0);
    let wide = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
    assert_eq!(taken[1].source_units(), wide("mock"));
    assert_eq!(taken[1].event_units(), wide("tick"));
    assert_eq!(taken[1].data_units(), wide("2"));
    let data: Vec<String> = taken.iter().map(|e| e.decode().data).collect();
    assert_eq!(data, ["1", "2", "3"]);

    // Taken events go to the history while it is kept, never to `seen`.
    obj.keep_history(false);
    obj.call("Emit", &[V::I32(2)]).unwrap();
    assert_eq!(obj.take_events(Duration::ZERO, |_| {}), 2);
    let history: Vec<String> = obj.history().into_iter().map(|e| e.data).collect();
    assert_eq!(history, ["1", "2", "3"]);
    assert!(obj.seen().is_empty());

    // Events from another thread wake it.
    obj.call("EmitFromThread", &[V::I32(3)]).unwrap();
    let mut from_thread = Vec::new();
    while from_thread.len() < 3 {
        let n = obj.take_events(Duration::from_secs(5), |e| {
            from_thread.push(e.decode().data)
        });
        assert!(n > 0, "the thread's events did not come");
    }
    assert_eq!(from_thread, ["1", "2", "3"]);
    assert_eq!(obj.violations(), Vec::<String>::new());
    obj.done().unwrap();
}

#[test]
fn events_from_another_thread_wake_the_waiter_without_polling() {
    let obj = create();
    obj.call("Depth", &[V::I32(100)]).unwrap();
    obj.call("EmitFromThread", &[V::I32(3)]).unwrap();
    let start = Instant::now();
    let ev = obj
        .wait_event(Duration::from_secs(5), |e| e.data == "3")
        .expect("event 3");
    assert_eq!(ev.data, "3");
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(obj.seen().len(), 2);
    assert_eq!(
        obj.next_event(Duration::from_millis(50)),
        None,
        "nothing more"
    );
    // The live-connection flow the C++ host also runs: Open after Connect, Close after Disconnect.
    obj.call("Connect", &["ws://mock/".into()]).unwrap();
    let open = obj.wait_event(Duration::from_secs(5), |e| {
        e.event.contains(r#""State": "Open""#)
    });
    assert_eq!(
        open.map(|e| e.data),
        Some(r#"{"Connection": "Open"}"#.to_owned())
    );
    obj.done().unwrap();
}

#[test]
fn a_missing_argument_uses_get_param_def_value() {
    let obj = create();
    // GetEvent(Event, Data, TimeoutMs = default): two arguments are enough.
    assert_eq!(
        obj.call("GetEvent", &[V::Empty, V::Empty]).unwrap(),
        V::Bool(false)
    );
    assert_eq!(
        obj.call("GetEvent", &[V::Empty]).unwrap_err().kind,
        ErrorKind::MissingArgument
    );
    obj.done().unwrap();
}

// ----- each breach is caught ------------------------------------------------------------------

#[test]
fn an_event_after_done_is_a_violation() {
    let obj = create();
    let probe = obj.probe();
    obj.call("Misbehave", &["late-event".into()]).unwrap();
    obj.done().unwrap();
    let v = probe.violations();
    assert!(
        v.iter().any(|t| t.contains("ExternalEvent after Done")),
        "{v:?}"
    );
}

#[test]
fn double_and_foreign_frees_are_counted_not_executed() {
    let obj = create();
    obj.call("Misbehave", &["double-free".into()]).unwrap();
    assert_reported(&obj, "double free");
    obj.call("Misbehave", &["foreign-free".into()]).unwrap();
    assert_reported(&obj, "AllocMemory never returned");
    let m = obj.memory_report();
    assert_eq!((m.double_frees, m.foreign_frees), (1, 1), "{m:?}");
    obj.done().unwrap();
}

#[test]
fn an_overrun_breaks_the_tail_canary() {
    let obj = create();
    obj.call("Misbehave", &["overrun".into()]).unwrap();
    assert_reported(&obj, "past its end");
    assert_eq!(obj.memory_report().corrupted, 1);
    obj.done().unwrap();
}

#[test]
fn wstrlen_counting_the_nul_is_caught() {
    let obj = create();
    obj.call("Misbehave", &["wstrlen-counts-nul".into()])
        .unwrap();
    let _ = obj.get("Version");
    assert_reported(&obj, "counts the terminating NUL");
    assert!(obj.memory_report().bad_strings >= 1);
    obj.done().unwrap();
}

#[test]
fn a_block_without_room_for_the_nul_is_caught() {
    let obj = create();
    obj.call("Misbehave", &["short-block".into()]).unwrap();
    let _ = obj.get("Version");
    assert_reported(&obj, "cannot hold wstrLen");
    obj.done().unwrap();
}

#[test]
fn a_string_not_from_alloc_memory_is_caught() {
    let obj = create();
    obj.call("Misbehave", &["malloc-string".into()]).unwrap();
    let _ = obj.prop_name(0, 0);
    let _ = obj.get("Version");
    assert_reported(&obj, "was not allocated with this host's AllocMemory");
    assert!(obj.memory_report().bad_strings >= 2);
    obj.done().unwrap();
}

#[test]
fn a_return_value_sharing_a_parameter_buffer_is_caught_not_double_freed() {
    let obj = create();
    let probe = obj.probe();
    obj.call("Misbehave", &["alias-return".into()]).unwrap();
    assert_eq!(
        obj.call("Echo", &["shared".into()]).unwrap(),
        V::from("shared")
    );
    assert_reported(&obj, "share the buffer");
    assert_eq!(obj.memory_report().double_frees, 0);
    obj.done().unwrap();
    assert_eq!(probe.memory().live_allocations, 0);
}

#[test]
fn a_leak_fails_done() {
    let obj = create();
    let probe = obj.probe();
    obj.call("Misbehave", &["leak".into()]).unwrap();
    let err = obj.done().expect_err("a block is still live");
    assert!(err.contains("still live"), "{err}");
    assert_eq!(probe.memory().live_allocations, 1);
}

#[test]
fn the_memory_manager_used_outside_a_call_is_caught() {
    let obj = create();
    obj.call("Misbehave", &["alloc-off-thread".into()]).unwrap();
    // The worker allocates 20 ms later, while the host waits for events (no call in progress).
    assert_eq!(obj.next_event(Duration::from_millis(200)), None);
    assert_reported(&obj, "AllocMemory called while no call is in progress");
    assert_eq!(
        obj.memory_report().wrong_thread,
        2,
        "AllocMemory and FreeMemory"
    );
    obj.done().unwrap();
}

// ----- the C++ host -------------------------------------------------------------------------

#[test]
fn the_cpp_host_passes_against_the_mock_with_and_without_a_connection() {
    let cpp = host::build_cpp_host().unwrap_or_else(|e| panic!("{e}"));
    for extra in [None, Some("ws://mock/")] {
        let out = Command::new(&cpp)
            .arg(mock_path())
            .args(extra)
            .output()
            .expect("run the C++ host");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.lines().last() == Some("ALL OK"),
            "{extra:?}: exit {:?}\n{stdout}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_cpp_host_catches_each_breach_of_the_mock() {
    let cpp = host::build_cpp_host().unwrap_or_else(|e| panic!("{e}"));
    for (kind, needle) in [
        ("late-event", "ExternalEvent after Done"),
        ("double-free", "double free"),
        ("foreign-free", "AllocMemory never returned"),
        ("overrun", "canary broken"),
        ("leak", "1 live"),
        ("wstrlen-counts-nul", "wstrLen counts the NUL"),
        ("short-block", "block too small"),
        ("malloc-string", "not allocated with AllocMemory"),
    ] {
        let out = Command::new(&cpp)
            .arg(mock_path())
            .args(["--keep-going", "--arm", kind])
            .output()
            .expect("run the C++ host");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "{kind}: the host must fail\n{all}"
        );
        assert!(all.contains(needle), "{kind}: no {needle:?} in\n{all}");
    }
}

#[test]
fn the_cpp_host_is_valgrind_clean_against_the_mock() {
    if Command::new("valgrind").arg("--version").output().is_err() {
        panic!("valgrind is not installed: install it (Debian: apt-get install valgrind); CI installs it");
    }
    let cpp = host::build_cpp_host().unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new("valgrind")
        .args([
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
        ])
        .arg(&cpp)
        .arg(mock_path())
        .arg("ws://mock/")
        .output()
        .expect("run valgrind");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.lines().last() == Some("ALL OK"),
        "exit {:?}\n{stdout}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}
