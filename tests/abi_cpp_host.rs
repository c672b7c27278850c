//! The built `libsocketio1c.so` driven by the C++ host of `tests/cpp_host/` — vtables laid
//! out by g++ from our own declarations of the Native API interfaces — plainly and under
//! valgrind.

use std::path::PathBuf;
use std::process::{Command, Output};

use testkit::host;
use testkit::servers::{Server, ServerOptions};

/// The C++ host, compiled once per test process into `target/<profile>/cpp_host/host`.
fn cpp_host() -> PathBuf {
    host::build_cpp_host().unwrap_or_else(|e| panic!("cannot build the C++ host: {e}"))
}

/// Fails the test when valgrind is missing: a memory test that silently passes proves nothing.
fn require_valgrind() {
    if Command::new("valgrind").arg("--version").output().is_err() {
        panic!(
            "valgrind is not installed: install it (Debian: apt-get install valgrind) to run this \
             test; CI installs it"
        );
    }
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn says_all_ok(out: &Output) -> bool {
    String::from_utf8_lossy(&out.stdout).lines().last() == Some("ALL OK")
}

#[test]
fn cpp_host_smoke_scenario_passes() {
    // --keep-going: print every failing check, not only the first (the exit code stays 1).
    let out = Command::new(cpp_host())
        .arg(host::addin_path())
        .arg("--keep-going")
        .output()
        .expect("run the C++ host");
    assert!(
        out.status.success() && says_all_ok(&out),
        "the C++ host failed:\n{}",
        text(&out)
    );
}

/// Runs the C++ host under valgrind (invalid accesses and definite leaks fail it), with
/// `url` for its live-connection mode.
fn under_valgrind(url: Option<&str>) -> Output {
    require_valgrind();
    let mut cmd = Command::new("valgrind");
    cmd.args([
        "--error-exitcode=99",
        "--leak-check=full",
        "--errors-for-leak-kinds=definite",
    ])
    .arg(cpp_host())
    .arg(host::addin_path());
    if let Some(url) = url {
        cmd.arg(url);
    }
    cmd.arg("--keep-going").output().expect("run valgrind")
}

#[test]
fn cpp_host_under_valgrind_is_clean() {
    let out = under_valgrind(None);
    let why = match out.status.code() {
        Some(99) => "valgrind found invalid accesses or definite leaks",
        Some(0) => "",
        _ => "the C++ host failed its checks",
    };
    assert!(
        out.status.success() && says_all_ok(&out),
        "{why}:\n{}",
        text(&out)
    );
}

/// The live mode (`host LIB ws://…`: Connect, Open, Send, Disconnect, Close, Done) against a
/// real socket.io 4 server, under valgrind: the network threads, the event path and Done's
/// join are checked too.
#[test]
fn cpp_host_live_connection_under_valgrind_is_clean() {
    let server = Server::start(ServerOptions::default());
    let out = under_valgrind(Some(&server.url("/")));
    let why = match out.status.code() {
        Some(99) => "valgrind found invalid accesses or definite leaks",
        Some(0) => "",
        _ => "the C++ host failed its checks",
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && says_all_ok(&out) && stdout.contains("a Close event"),
        "{why}:\n{}",
        text(&out)
    );
    assert!(
        server
            .wait_event(std::time::Duration::from_secs(20), "echo")
            .is_some(),
        "the server did not get the Send"
    );
}
