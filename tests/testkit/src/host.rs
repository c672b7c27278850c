//! A 1C:Enterprise host emulator: loads the built add-in with `dlopen` and drives it through its
//! C ABI exactly as 1C does on Linux x86_64 (`shared/docs/native-api.md`).
//!
//! ```no_run
//! use std::time::Duration;
//! use testkit::host::{self, HostOptions, V};
//!
//! let lib = host::library(); // the libsocketio1c.so of this build profile
//! assert_eq!(lib.class_names(), ["Client"]);
//! let client = lib.create("Client", &HostOptions::default()).unwrap();
//! assert_eq!(client.get("Таймаут").unwrap(), V::from("5"));
//! client.call("Подключиться", &["ws://127.0.0.1:3000/".into()]).unwrap();
//! let open = client.wait_event(Duration::from_secs(10), |e| e.event.contains(r#""State": "Open""#));
//! client.done().unwrap();
//! host::assert_clean();
//! ```
//!
//! What it checks on the way (each breach is a *violation*: recorded, printed to stderr, listed
//! by [`violations`] and fatal in [`assert_clean`]):
//! - memory: every `AllocMemory` block has canaries and is registered; foreign frees, double
//!   frees, overruns, leaks at `DestroyObject`, and returned strings that break the `wstrLen`
//!   contract ([`MemoryReport`]);
//! - threads: `AllocMemory`/`FreeMemory`/`AddError`/`SetEventBufferDepth`/`GetInterface` only
//!   on the thread that is inside a call to the add-in; `ExternalEvent` from anywhere, but
//!   never after `Done` returned;
//! - the platform's interfaces never freed by the add-in (their destructors record violations).
//!
//! Modules: `ffi` (tVariant, vtables), `memory` (IMemoryManager), `platform` (IAddInDefBaseEx,
//! IPlatformInfo, IMsgBox, IAttachedInfo, the event queue), `object` (one add-in object),
//! `one_c` (1C's main thread: the idle loop and a handler that works while events wait),
//! `bell` (that thread for many objects: which of them have events), `library` (dlopen,
//! GetClassObject), `cpp` (builds the C++ host of `tests/cpp_host`).

mod bell;
mod cpp;
mod event;
mod ffi;
mod library;
mod memory;
mod object;
mod one_c;
mod platform;
mod value;

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

pub use bell::Bell;
pub use cpp::{build_cpp_host, build_mock_addin, cpp_host_source};
pub use event::{Event, RawEvent};
pub use library::{library, Library, APP_CAPABILITIES};
pub use memory::MemoryReport;
pub use object::{Object, Probe};
pub use one_c::{Thread1C, Work, SLICE};
pub use platform::AddError;
pub use value::{CallError, ErrorKind, V};

/// How the emulated platform presents itself to each object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostOptions {
    /// `AppInfo::Application`: 0 thin client (default), 1 thick client, 2 web client, 3 server,
    /// 4 external connection, 5 mobile client, 6 mobile server.
    pub app_type: i32,
    /// Call `Init` before `setMemManager` (default: `setMemManager` first, as OneScript does).
    pub init_before_mem_manager: bool,
    /// `SetLocale` argument ("ru_RU" as on Linux).
    pub locale: String,
    /// `SetUserInterfaceLanguageCode` argument ("ru").
    pub language: String,
    /// Whether `IAddInDefBaseEx::GetInterface` answers (false: null for everything, as an old
    /// platform would).
    pub offer_platform_info: bool,
    /// What `ExternalEvent` returns when the queue is full and the event is dropped. False by
    /// default: the buffer drops the newest events and still answers true, which the
    /// documentation allows (1C's answer is undocumented) and the add-in cannot see; with a busy
    /// 1C thread ([`Thread1C`]) events mode then loses events silently. True: the platform says
    /// so, and the add-in moves what it refuses to the queue.
    pub event_overflow_returns_false: bool,
    /// `AppInfo::AppVersion`.
    pub app_version: String,
    /// `AppInfo::UserAgentInformation`.
    pub user_agent: String,
}

impl Default for HostOptions {
    fn default() -> HostOptions {
        HostOptions {
            app_type: 0,
            init_before_mem_manager: false,
            locale: "ru_RU".into(),
            language: "ru".into(),
            offer_platform_info: true,
            event_overflow_returns_false: false,
            app_version: "8.3.25.1000".into(),
            user_agent: "socketio1c testkit host".into(),
        }
    }
}

impl HostOptions {
    /// Defaults, as a 1C:Enterprise server (`eAppServer`) would present itself.
    pub fn server() -> HostOptions {
        HostOptions {
            app_type: 3,
            ..HostOptions::default()
        }
    }
}

/// Environment variable that overrides [`addin_path`] (e.g. to test a release or cross build).
pub const ADDIN_ENV: &str = "SOCKETIO1C_ADDIN";

/// The `libsocketio1c.so` of the current build profile, found from the running executable
/// (tests and benches run from `target/<profile>/deps/`, examples from
/// `target/<profile>/examples/`, binaries from `target/<profile>/`): the newer of
/// `target/<profile>/libsocketio1c.so` and `target/<profile>/deps/libsocketio1c.so`, since
/// `cargo test` refreshes only the latter. `$SOCKETIO1C_ADDIN` overrides it. Panics with what to
/// do when the file is missing.
pub fn addin_path() -> PathBuf {
    if let Some(p) = std::env::var_os(ADDIN_ENV) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "{ADDIN_ENV}={} does not name a file",
            p.display()
        );
        return p;
    }
    let dir = profile_dir();
    // `cargo build` copies the cdylib up from deps/, but `cargo test` only refreshes deps/: a
    // copy left in target/<profile>/ by an earlier `cargo build` can be stale. Take the newest.
    let candidates = [
        dir.join("libsocketio1c.so"),
        dir.join("deps").join("libsocketio1c.so"),
    ];
    let newest = candidates
        .iter()
        .filter_map(|p| Some((std::fs::metadata(p).ok()?.modified().ok()?, p)))
        .max_by_key(|(modified, _)| *modified);
    match newest {
        Some((_, p)) => p.clone(),
        None => panic!(
            "the add-in is not built: no {} (nor in deps/). `cargo test` builds it for the tests of \
             the socketio1c package; otherwise run `cargo build` (add `--release` for a release \
             test binary), or set {ADDIN_ENV} to the library's path",
            candidates[0].display()
        ),
    }
}

/// The example program `name` of the current build profile (`target/<profile>/examples/`),
/// which `cargo test` builds along with the tests. Panics with what to do when it is missing.
pub fn example_path(name: &str) -> PathBuf {
    let path = profile_dir().join("examples").join(name);
    assert!(
        path.is_file(),
        "the example is not built: no {} (`cargo test --workspace` builds every example; \
         otherwise run `cargo build --example {name}`)",
        path.display()
    );
    path
}

/// `target/<profile>/` of the running executable (tests and benches run from its `deps/`,
/// examples from its `examples/`).
pub(crate) fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe
        .parent()
        .expect("the executable has a directory")
        .to_path_buf();
    if matches!(
        dir.file_name().and_then(|n| n.to_str()),
        Some("deps" | "examples")
    ) {
        dir.pop();
    }
    dir
}

static VIOLATIONS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Locks a mutex, also after a panicking test poisoned it (the data stays usable here).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records a contract breach by the add-in (also printed to stderr at once).
pub(crate) fn record_violation(text: String) {
    eprintln!("testkit::host violation: {text}");
    lock(&VIOLATIONS).push(text);
}

/// Every violation recorded in this process so far, in order.
pub fn violations() -> Vec<String> {
    lock(&VIOLATIONS).clone()
}

/// Panics listing every violation recorded in this process, if there is any.
pub fn assert_clean() {
    let v = violations();
    assert!(
        v.is_empty(),
        "the add-in broke the host contract {} time(s):\n  {}",
        v.len(),
        v.join("\n  ")
    );
}

/// Process-wide memory counters of every object's memory manager.
pub fn memory_report() -> MemoryReport {
    memory::GLOBAL.report()
}

/// Threads of this process now (`Threads:` of `/proc/self/status`).
pub fn thread_count() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("Threads: line in /proc/self/status")
}

/// Runs a host callback; a panic in it becomes a violation instead of unwinding into the add-in
/// (which would abort the process).
pub(crate) fn guard_callback<R>(what: &str, f: impl FnOnce() -> R) -> Option<R> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => Some(r),
        Err(e) => {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            record_violation(format!("host callback {what} panicked: {msg}"));
            None
        }
    }
}
