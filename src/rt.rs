//! The async runtime seam: the only file that names async-std (and async-io, the reactor under
//! both async-std and smol).
//!
//! async-std is discontinued upstream; a move to smol (or anything else) changes this file only.
//! Everything else spawns, sleeps, times out and opens sockets through these functions.
//!
//! One runtime serves every `Client` object of the process: async-std's global executor (a
//! fixed pool of threads sized by the CPU count, `ASYNC_STD_THREAD_COUNT` overrides it) and its
//! reactor thread. Those threads never stop, which is why the library pins itself against
//! unloading (`build.rs`). The number of threads does not grow with the number of objects.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// A spawned task. Dropping it detaches the task; [`cancel`] stops it; awaiting it joins it.
pub type Task<T> = async_std::task::JoinHandle<T>;

/// A TCP connection of the runtime.
pub type TcpStream = async_std::net::TcpStream;

/// Runs `future` on the shared executor.
pub fn spawn<F>(future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    async_std::task::spawn(boxed(future))
}

/// `future` behind a pointer. The executor's task machinery (a few KB of code) is generated
/// once per type of future it runs: boxed, that is once per output type instead of once per
/// actor, which keeps the library within its size budget. It costs one allocation per spawn
/// and an indirect call per poll, nothing per event.
fn boxed<'a, F: Future + Send + 'a>(
    future: F,
) -> Pin<Box<dyn Future<Output = F::Output> + Send + 'a>> {
    Box::pin(future)
}

/// Runs `future` to completion on the calling thread. Used from the 1C thread only for
/// bounded waits (`Done`, `GetEvent`), never from inside a task.
pub fn block_on<F: Future>(future: F) -> F::Output {
    // Boxed for the same reason as `spawn`'s futures.
    let future: Pin<Box<dyn Future<Output = F::Output> + '_>> = Box::pin(future);
    async_std::task::block_on(future)
}

/// Waits for `duration`.
pub async fn sleep(duration: Duration) {
    async_std::task::sleep(duration).await
}

/// A one-shot timer that an actor keeps across the turns of its select loop and re-arms only
/// when its time changes. A fresh sleep per turn would register a timer with the reactor every
/// turn, and each registration wakes the reactor (a system call or two): under a flood that is
/// more than the rest of the turn costs.
pub struct Alarm {
    timer: async_io::Timer,
    /// When it fires; `None`: disarmed, or fired already.
    at: Option<Instant>,
}

impl Alarm {
    /// A disarmed alarm.
    pub fn new() -> Alarm {
        Alarm {
            timer: async_io::Timer::never(),
            at: None,
        }
    }

    /// Arms the alarm for `at`, or disarms it (`None`). The same time again changes nothing.
    pub fn set(&mut self, at: Option<Instant>) {
        if self.at == at {
            return;
        }
        self.at = at;
        match at {
            Some(at) => self.timer.set_at(at),
            None => self.timer = async_io::Timer::never(),
        }
    }

    /// Waits until the alarm's time (forever while disarmed); then it is disarmed. Cancel safe:
    /// dropping the future keeps the alarm armed.
    pub async fn ring(&mut self) {
        if self.at.is_none() {
            return std::future::pending().await;
        }
        (&mut self.timer).await;
        self.at = None;
    }
}

impl Default for Alarm {
    fn default() -> Alarm {
        Alarm::new()
    }
}

/// The current time. All protocol code takes time as an argument; this is where it comes from.
pub fn now() -> Instant {
    Instant::now()
}

/// Runs `future` for at most `duration`; `None` when the time ran out (the future is dropped).
pub async fn timeout<F: Future>(duration: Duration, future: F) -> Option<F::Output> {
    async_std::future::timeout(duration, future).await.ok()
}

/// Stops `task` and waits until it no longer runs. Returns its output if it had finished.
pub async fn cancel<T>(task: Task<T>) -> Option<T> {
    task.cancel().await
}

/// Opens a TCP connection to `host:port` (name resolution included).
pub async fn connect_tcp(host: &str, port: u16) -> io::Result<TcpStream> {
    let stream = TcpStream::connect((host, port)).await?;
    // Socket.IO packets are small and latency matters more than segment count.
    stream.set_nodelay(true)?;
    Ok(stream)
}
