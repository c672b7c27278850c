//! Finding the server scripts, and installing what they need on first use.
//!
//! `cargo test` on a fresh clone works without a separate setup step: the first server of a
//! process runs `npm ci` in `tests/servers` (or makes the python venv `tests/servers/.venv`), and
//! later ones reuse it. A marker file beside the installed tree records the lock file it was
//! installed from, so a changed `package-lock.json` or `requirements.txt` triggers a reinstall:
//! `node_modules/.socketio1c-installed` (also written by the `postinstall` script of
//! `tests/servers/package.json`, so a manual `npm ci --prefix tests/servers` counts) and
//! `.venv/.socketio1c-installed` (`.ci/run` writes it after making the venv). The socketioxide
//! server (`tests/servers/rust`, a crate of its own, outside the workspace) is built once per
//! process with `cargo build --release --locked` into `tests/servers/rust/target`; cargo itself
//! tells that it is up to date (well under a second) and rebuilds it when its sources change.
//! Installs hold an exclusive file lock on `tests/servers/.install.lock`, so parallel test
//! processes never install at the same time. What is run is printed to stderr.
//!
//! Environment overrides:
//! - `SOCKETIO1C_SERVERS_DIR`: the directory with `server.js` (default `<repo>/tests/servers`);
//! - `SOCKETIO1C_NODE`, `SOCKETIO1C_NPM`: the node and npm programs (default `node`, `npm`);
//! - `SOCKETIO1C_PYTHON`: the python that makes the venv (default `python3`);
//! - `CARGO` (set by `cargo test`): the cargo that builds the socketioxide server (default
//!   `cargo`).

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The repository root: two levels above this crate's manifest directory (`tests/testkit`).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .expect("tests/testkit has two parent directories")
        .to_path_buf()
}

/// The directory with `server.js`, `py_server.py` and `package.json`:
/// `$SOCKETIO1C_SERVERS_DIR`, or `<repo>/tests/servers`.
pub fn servers_dir() -> PathBuf {
    match std::env::var_os("SOCKETIO1C_SERVERS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => repo_root().join("tests").join("servers"),
    }
}

/// `<servers_dir>/node_modules`: also what `NODE_PATH` should be for scripts outside it, such
/// as `examples/server/chat-server.js`.
pub fn node_modules_dir() -> PathBuf {
    servers_dir().join("node_modules")
}

/// The node program: `$SOCKETIO1C_NODE` or `node`.
pub fn node_program() -> OsString {
    env_program("SOCKETIO1C_NODE", "node")
}

fn npm_program() -> OsString {
    env_program(
        "SOCKETIO1C_NPM",
        if cfg!(windows) { "npm.cmd" } else { "npm" },
    )
}

fn env_program(var: &str, default: &str) -> OsString {
    match std::env::var_os(var) {
        Some(p) if !p.is_empty() => p,
        _ => OsString::from(default),
    }
}

/// Makes sure `tests/servers/node_modules` matches `package-lock.json`, running
/// `npm ci` once per process if it does not.
///
/// # Panics
///
/// If npm is missing or `npm ci` fails (every later call panics the same way).
pub fn ensure_node_modules() {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    let result = DONE.get_or_init(|| {
        let dir = servers_dir();
        let lock = dir.join("package-lock.json");
        let marker = dir.join("node_modules").join(".socketio1c-installed");
        install_once(&dir, &lock, &marker, || {
            let mut npm = Command::new(npm_program());
            npm.arg("ci")
                .arg("--prefix")
                .arg(&dir)
                .args(["--no-audit", "--no-fund"]);
            run_install(npm, "npm (Node.js 20 with npm)")
        })
    });
    if let Err(e) = result {
        panic!("testkit: the node test servers are not installed: {e}");
    }
}

/// Makes sure the python venv `tests/servers/.venv` has `requirements.txt` installed, making it
/// once per process if needed. Returns the venv's python.
///
/// # Panics
///
/// If python3 (with its venv module) is missing or pip fails.
pub fn ensure_python_venv() -> PathBuf {
    static DONE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let result = DONE.get_or_init(|| {
        let dir = servers_dir();
        let venv = dir.join(".venv");
        let python = venv_python(&venv);
        let requirements = dir.join("requirements.txt");
        let marker = venv.join(".socketio1c-installed");
        install_once(&dir, &requirements, &marker, || {
            let base = env_program("SOCKETIO1C_PYTHON", "python3");
            let mut mk = Command::new(&base);
            mk.args(["-m", "venv", "--clear"]).arg(&venv);
            run_install(
                mk,
                "python3 with its venv module (Debian: apt-get install python3-venv)",
            )?;
            let mut pip = Command::new(&python);
            pip.args(["-m", "pip", "install", "--disable-pip-version-check", "-r"])
                .arg(&requirements);
            run_install(pip, "pip in the venv")
        })?;
        Ok(python)
    });
    match result {
        Ok(python) => python.clone(),
        Err(e) => panic!("testkit: the python test server is not installed: {e}"),
    }
}

/// Builds the socketioxide test server (`tests/servers/rust`) once per process and returns the
/// path of its binary. Its own target directory keeps the build apart from the workspace's,
/// whose lock `cargo test` holds while the tests run.
///
/// # Panics
///
/// If cargo is missing or the build fails (every later call panics the same way).
pub fn ensure_rust_server() -> PathBuf {
    static DONE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let result = DONE.get_or_init(|| {
        let dir = servers_dir().join("rust");
        let target = dir.join("target");
        let mut cargo = Command::new(env_program("CARGO", "cargo"));
        cargo
            .args([
                "build",
                "--release",
                "--locked",
                "--quiet",
                "--manifest-path",
            ])
            .arg(dir.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target)
            .env_remove("CARGO_TARGET_DIR");
        run_install(cargo, "cargo (the Rust toolchain)")?;
        let exe = if cfg!(windows) {
            "socketioxide-server.exe"
        } else {
            "socketioxide-server"
        };
        Ok(target.join("release").join(exe))
    });
    match result {
        Ok(exe) => exe.clone(),
        Err(e) => panic!("testkit: the socketioxide test server is not built: {e}"),
    }
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// Runs `install` unless `marker` holds the current content of `lock_file`; afterwards writes
/// that content to `marker`. All of it under the exclusive lock `<dir>/.install.lock`.
fn install_once(
    dir: &Path,
    lock_file: &Path,
    marker: &Path,
    install: impl FnOnce() -> Result<(), String>,
) -> Result<(), String> {
    let wanted =
        fs::read(lock_file).map_err(|e| format!("cannot read {}: {e}", lock_file.display()))?;
    if fs::read(marker).is_ok_and(|have| have == wanted) {
        return Ok(());
    }
    let lock_path = dir.join(".install.lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
    // Blocks while another test process installs; released when `lock` is dropped.
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    // That other process may have installed it meanwhile.
    if fs::read(marker).is_ok_and(|have| have == wanted) {
        return Ok(());
    }
    install()?;
    fs::write(marker, &wanted).map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    drop::<File>(lock);
    Ok(())
}

/// Runs an install command with its output on our stderr.
fn run_install(mut cmd: Command, what: &str) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    // Straight to the process's stderr: the test harness captures eprintln!, and an install
    // that takes seconds should be visible.
    let _ = writeln!(
        std::io::stderr(),
        "testkit: installing the test servers' dependencies: {shown}"
    );
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr()))
        .stderr(Stdio::inherit());
    match cmd.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("{shown} failed ({status})")),
        Err(e) => Err(format!("cannot run {shown}: {e}; {what} is needed")),
    }
}
