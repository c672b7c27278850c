//! A child process whose output the tests wait on: every stdout line is recorded, the tail of
//! stderr is kept, and [`Process::wait_line`] / [`Process::wait_stderr`] block until something
//! expected arrives (or a deadline passes). The test servers ([`super::Server`]), Redis and nginx
//! ([`crate::cluster`]) are all run as one. Dropping a `Process` kills it and reaps it, so nothing
//! a test starts outlives the test.
//!
//! Also here: [`ScratchDir`], a temporary directory removed on drop, and [`signal`].

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How much of a process's stderr is kept (the tail), for failure messages.
const STDERR_KEEP: usize = 256 * 1024;

/// A running child process with its output recorded. See the module documentation.
pub struct Process {
    child: Child,
    stdin: Mutex<Option<ChildStdin>>,
    shared: Arc<Shared>,
    readers: Vec<JoinHandle<()>>,
    reaped: Option<Option<ExitStatus>>,
}

/// What the reader threads share with the test: the output so far, and a condvar that is
/// notified on every new line, on stderr output and when the output ends.
struct Shared {
    state: Mutex<Output>,
    changed: Condvar,
}

#[derive(Default)]
struct Output {
    /// Every stdout line, in order, without the line break.
    lines: Vec<String>,
    /// `taken[i]`: line `i` was returned by a `wait_*` call already.
    taken: Vec<bool>,
    /// Every line before this index is taken: where searches start.
    first_untaken: usize,
    /// stdout reached end of file: the process exited (or closed it).
    stdout_closed: bool,
    /// stderr reached end of file.
    stderr_closed: bool,
    /// The tail of stderr.
    stderr: String,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Output> {
        // A panicking test thread cannot leave the output half-updated: the reader threads only
        // push whole lines. Keep going with the data.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Process {
    /// Spawns `cmd` with stdin, stdout and stderr piped and starts recording its output.
    pub fn spawn(mut cmd: Command) -> std::io::Result<Process> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(Output::default()),
            changed: Condvar::new(),
        });
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let readers = vec![
            spawn_stdout_reader(stdout, Arc::clone(&shared)),
            spawn_stderr_reader(stderr, Arc::clone(&shared)),
        ];
        Ok(Process {
            stdin: Mutex::new(child.stdin.take()),
            child,
            shared,
            readers,
            reaped: None,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes `line` and a line break to the process's stdin.
    pub fn write_line(&self, line: &str) -> std::io::Result<()> {
        let mut stdin = self.stdin.lock().unwrap_or_else(|e| e.into_inner());
        let pipe = stdin.as_mut().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "stdin is closed")
        })?;
        pipe.write_all(format!("{line}\n").as_bytes())
            .and_then(|_| pipe.flush())
    }

    /// Waits up to `timeout` for a stdout line that matches `pred` and was not returned by an
    /// earlier `wait_line` call; returns it and marks it as returned. Lines that arrived before
    /// the call count, so there is no race between acting and waiting. Lines that do not match
    /// stay available to later calls and in [`Process::lines`].
    ///
    /// Returns `None` on timeout, or at once when stdout has closed and no line matches.
    pub fn wait_line(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> Option<String> {
        let deadline = Instant::now() + timeout;
        let mut out = self.shared.lock();
        let mut next = out.first_untaken;
        loop {
            while next < out.lines.len() {
                if !out.taken[next] && pred(&out.lines[next]) {
                    out.taken[next] = true;
                    while out.first_untaken < out.taken.len() && out.taken[out.first_untaken] {
                        out.first_untaken += 1;
                    }
                    return Some(out.lines[next].clone());
                }
                next += 1;
            }
            if out.stdout_closed {
                return None;
            }
            out = self.wait_change(out, deadline)?;
        }
    }

    /// Waits up to `timeout` until the stderr kept so far satisfies `pred` (which sees all of
    /// it); true when it does. Returns false at once when stderr has closed and it does not.
    pub fn wait_stderr(&self, timeout: Duration, mut pred: impl FnMut(&str) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut out = self.shared.lock();
        loop {
            if pred(&out.stderr) {
                return true;
            }
            if out.stderr_closed {
                return false;
            }
            match self.wait_change(out, deadline) {
                Some(next) => out = next,
                None => return false,
            }
        }
    }

    /// Waits for the next change of the output until `deadline`; `None` when it has passed.
    fn wait_change<'a>(
        &'a self,
        out: MutexGuard<'a, Output>,
        deadline: Instant,
    ) -> Option<MutexGuard<'a, Output>> {
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        Some(
            self.shared
                .changed
                .wait_timeout(out, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0,
        )
    }

    /// Waits until both stdout and stderr have closed, or `deadline`; true when they have.
    fn wait_output_end(&self, deadline: Instant) -> bool {
        let mut out = Some(self.shared.lock());
        while let Some(o) = out.take() {
            if o.stdout_closed && o.stderr_closed {
                return true;
            }
            out = self.wait_change(o, deadline);
        }
        false
    }

    /// Every stdout line so far (returned by `wait_line` or not).
    pub fn lines(&self) -> Vec<String> {
        self.shared.lock().lines.clone()
    }

    /// The process's stderr so far (its last 256 KiB).
    pub fn stderr(&self) -> String {
        self.shared.lock().stderr.clone()
    }

    /// True when stdout has closed: the process exited (or closed it).
    pub fn stdout_closed(&self) -> bool {
        self.shared.lock().stdout_closed
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        self.reaped.is_none() && matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits up to `timeout` for the process to exit by itself (after a signal that asks it to,
    /// say), then reaps it. Returns its exit status, or `None` if it still ran at the deadline
    /// (it is killed then).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        // Its output ends when it (and any child that inherited the pipes) exits.
        let exited = self.wait_output_end(deadline);
        let status = self.stop_and_reap();
        exited.then_some(status).flatten()
    }

    /// Closes stdin (the test servers exit then), kills the process, waits for it and for the
    /// reader threads. Returns its exit status; later calls return the same.
    pub fn stop_and_reap(&mut self) -> Option<ExitStatus> {
        if let Some(status) = self.reaped {
            return status;
        }
        drop(self.stdin.lock().unwrap_or_else(|e| e.into_inner()).take());
        let status = match self.child.try_wait() {
            Ok(Some(status)) => Some(status),
            _ => {
                let _ = self.child.kill();
                self.child.wait().ok()
            }
        };
        // The readers end at end of file. A grandchild that inherited the pipes (an nginx
        // worker whose master was killed) can keep them open: then they are left to end with it.
        let ended = self.wait_output_end(Instant::now() + Duration::from_secs(5));
        let readers: Vec<JoinHandle<()>> = self.readers.drain(..).collect();
        if ended {
            for r in readers {
                let _ = r.join();
            }
        }
        self.reaped = Some(status);
        status
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop_and_reap();
    }
}

fn spawn_stdout_reader(stdout: impl Read + Send + 'static, shared: Arc<Shared>) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("testkit-process-stdout".into())
        .spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                            buf.pop();
                        }
                        let line = String::from_utf8_lossy(&buf).into_owned();
                        let mut out = shared.lock();
                        out.lines.push(line);
                        out.taken.push(false);
                        drop(out);
                        shared.changed.notify_all();
                    }
                }
            }
            shared.lock().stdout_closed = true;
            shared.changed.notify_all();
        })
        .expect("spawn the stdout reader")
}

fn spawn_stderr_reader(stderr: impl Read + Send + 'static, shared: Arc<Shared>) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("testkit-process-stderr".into())
        .spawn(move || {
            let mut stderr = stderr;
            let mut buf = [0u8; 8192];
            loop {
                match stderr.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut out = shared.lock();
                        out.stderr.push_str(&String::from_utf8_lossy(&buf[..n]));
                        if out.stderr.len() > STDERR_KEEP {
                            let mut cut = out.stderr.len() - STDERR_KEEP;
                            while !out.stderr.is_char_boundary(cut) {
                                cut += 1;
                            }
                            out.stderr.drain(..cut);
                        }
                        drop(out);
                        shared.changed.notify_all();
                    }
                }
            }
            shared.lock().stderr_closed = true;
            shared.changed.notify_all();
        })
        .expect("spawn the stderr reader")
}

/// A fresh directory under the system's temporary directory, removed with everything in it on
/// drop.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// Makes `<tmp>/socketio1c-<what>-<pid>-<n>` (emptied first if it exists).
    ///
    /// # Panics
    ///
    /// If the directory cannot be made.
    pub fn new(what: &str) -> ScratchDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "socketio1c-{what}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("testkit: cannot create {}: {e}", path.display()));
        ScratchDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Sends signal `sig` (`"-STOP"`, `"-CONT"`, `"-QUIT"`, …) to process `pid` with `kill`.
///
/// # Panics
///
/// If `kill` cannot be run or fails.
pub fn signal(pid: u32, sig: &str) {
    assert!(try_signal(pid, sig), "kill {sig} {pid} failed");
}

/// Like [`signal`], for cleanup code that must not panic: false when it failed (the process
/// is gone, say).
pub fn try_signal(pid: u32, sig: &str) -> bool {
    Command::new("kill")
        .args([sig, &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
