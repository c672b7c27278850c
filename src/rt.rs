//! The async runtime seam: the only file that names async-std (and async-io, the reactor under
//! both async-std and smol, and async-global-executor, async-std's executor).
//!
//! async-std is discontinued upstream; a move to smol (or anything else) changes this file only.
//! Everything else spawns, sleeps, times out and opens sockets through these functions.
//!
//! One runtime serves every `Client` object of the process: async-std's global executor and its
//! reactor thread. Those threads never stop, which is why the library pins itself against
//! unloading (`build.rs`). The number of threads does not grow with the number of objects.
//!
//! The executor runs on **one thread** ([`EXECUTOR_THREADS`]; `ASYNC_STD_THREAD_COUNT` still
//! overrides it), not async-std's one per CPU. The actors' work per event is short and never
//! blocks, so one thread keeps up with any real server (the benchmark's blast server, 450 k events
//! a second, is the only thing that notices), and an event no longer passes between sleeping
//! executor threads: measured (BENCHMARKS.md, "One executor thread"), CPU per paced event halved,
//! an acknowledgement's round trip 111 → 43 µs, a thousand idle objects wake the process 6 times
//! less often.
//!
//! [`TcpStream`] is async-io's socket with a read that spends one system call fewer per
//! wake-up than async-std's.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Executor threads unless `ASYNC_STD_THREAD_COUNT` says otherwise (see the module's map).
pub const EXECUTOR_THREADS: usize = 1;

/// Configures async-std's executor before async-std starts it (async-std only starts it with
/// its own defaults when nothing did so first). Every entry into the executor calls this first.
fn configure() {
    static CONFIGURED: std::sync::Once = std::sync::Once::new();
    CONFIGURED.call_once(|| {
        let name = || "async-std/runtime".to_owned();
        async_global_executor::init_with_config(
            async_global_executor::GlobalExecutorConfig::default()
                .with_env_var("ASYNC_STD_THREAD_COUNT")
                .with_min_threads(EXECUTOR_THREADS)
                .with_thread_name_fn(name),
        );
    });
}

/// A spawned task. Dropping it detaches the task; [`cancel`] stops it; awaiting it joins it.
pub type Task<T> = async_std::task::JoinHandle<T>;

/// Runs `future` on the shared executor.
pub fn spawn<F>(future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    configure();
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
    configure();
    async_std::task::block_on(future)
}

/// Runs blocking work (a file read, thousands of key-derivation rounds) on the runtime's pool of
/// blocking threads, so that the one executor thread goes on serving every other object.
pub async fn unblock<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    configure();
    async_std::task::spawn_blocking(work).await
}

/// Lets the executor run the other tasks once before this one goes on: for a loop whose awaits
/// may all be ready (a socket that always has data), which would otherwise never give the one
/// executor thread back to the other objects, nor let a timeout around it fire.
pub async fn yield_now() {
    async_std::task::yield_now().await
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

/// The time as an actor's timers see it: [`RuntimeClock`] (the runtime's [`now`] and
/// [`Alarm`]s) in the library, a clock that the test moves by hand in unit tests
/// (`ManualClock`), so that a timeout is tested without waiting for it. Generic, not a trait
/// object: the library's actors are compiled for the zero-sized [`RuntimeClock`] alone, which
/// leaves the same code as naming [`now`] and [`Alarm`] directly.
pub trait Clock: Send {
    /// The alarms of this clock.
    type Alarm: Timer;
    /// The clock's time.
    fn now(&self) -> Instant;
    /// A disarmed alarm that goes by this clock.
    fn alarm(&self) -> Self::Alarm;
}

/// A one-shot alarm of a [`Clock`]: what an actor's select loop waits on.
pub trait Timer: Send {
    /// [`Alarm::set`].
    fn set(&mut self, at: Option<Instant>);
    /// [`Alarm::ring`].
    fn ring(&mut self) -> impl Future<Output = ()> + Send;
}

/// The runtime's clock: [`now`], and [`Alarm`]s.
#[derive(Debug, Clone, Copy, Default)]
pub struct RuntimeClock;

impl Clock for RuntimeClock {
    type Alarm = Alarm;

    fn now(&self) -> Instant {
        now()
    }

    fn alarm(&self) -> Alarm {
        Alarm::new()
    }
}

impl Timer for Alarm {
    fn set(&mut self, at: Option<Instant>) {
        Alarm::set(self, at)
    }

    fn ring(&mut self) -> impl Future<Output = ()> + Send {
        Alarm::ring(self)
    }
}

/// A clock for unit tests that moves only when the test says ([`ManualClock::advance`]); its
/// alarms ring once it has reached their time.
#[cfg(test)]
#[derive(Clone)]
pub struct ManualClock(std::sync::Arc<std::sync::Mutex<ManualTime>>);

#[cfg(test)]
struct ManualTime {
    now: Instant,
    /// The alarms waiting to ring, woken on every move.
    waiting: Vec<std::task::Waker>,
}

/// An alarm of a [`ManualClock`].
#[cfg(test)]
pub struct ManualAlarm {
    clock: ManualClock,
    at: Option<Instant>,
}

/// A clock that stands at the real time of the call.
#[cfg(test)]
impl Default for ManualClock {
    fn default() -> ManualClock {
        let time = ManualTime {
            now: Instant::now(),
            waiting: Vec::new(),
        };
        ManualClock(std::sync::Arc::new(std::sync::Mutex::new(time)))
    }
}

#[cfg(test)]
impl ManualClock {
    /// Moves the clock `by` forward, waking its alarms.
    pub fn advance(&self, by: Duration) {
        let mut time = crate::sync::lock(&self.0);
        time.now += by;
        time.waiting.drain(..).for_each(std::task::Waker::wake);
    }
}

#[cfg(test)]
impl Clock for ManualClock {
    type Alarm = ManualAlarm;

    fn now(&self) -> Instant {
        crate::sync::lock(&self.0).now
    }

    fn alarm(&self) -> ManualAlarm {
        ManualAlarm {
            clock: self.clone(),
            at: None,
        }
    }
}

#[cfg(test)]
impl Timer for ManualAlarm {
    fn set(&mut self, at: Option<Instant>) {
        self.at = at;
    }

    fn ring(&mut self) -> impl Future<Output = ()> + Send {
        std::future::poll_fn(|cx| {
            let mut time = crate::sync::lock(&self.clock.0);
            match self.at {
                Some(at) if time.now >= at => {
                    self.at = None;
                    Poll::Ready(())
                }
                Some(_) => {
                    if !time.waiting.iter().any(|w| w.will_wake(cx.waker())) {
                        time.waiting.push(cx.waker().clone());
                    }
                    Poll::Pending
                }
                // Disarmed: rings never (nothing to wake).
                None => Poll::Pending,
            }
        })
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

/// Opens a TCP connection to `host:port` (name resolution included): the first address of
/// the name that accepts, else the last address's error.
pub async fn connect_tcp(host: &str, port: u16) -> io::Result<TcpStream> {
    use async_std::net::ToSocketAddrs;
    let mut last_error = None;
    for addr in (host, port).to_socket_addrs().await? {
        match async_io::Async::<std::net::TcpStream>::connect(addr).await {
            Ok(socket) => {
                // Socket.IO packets are small and latency matters more than segment count.
                socket.get_ref().set_nodelay(true)?;
                return Ok(TcpStream {
                    socket,
                    read_parked: false,
                });
            }
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("the name {host} has no address"),
        )
    }))
}

/// A TCP connection of the runtime.
///
/// async-io's own stream (and async-std's, which wraps it) tries a `recvfrom` first on every
/// read, so after each wake-up for readable data the read that drains the socket fails twice:
/// once to learn that the wake-up's readiness is spent, once more after it is. This stream asks
/// the reactor first whenever its last read parked, which costs a lock and no system call:
/// 12.5 → 11.5 system calls per acknowledgement round trip, ≈ 150 fewer per 1000 events of a
/// flood from the real server (`perf record -e raw_syscalls:sys_exit`).
pub struct TcpStream {
    socket: async_io::Async<std::net::TcpStream>,
    /// The last read found nothing and registered for readiness.
    read_parked: bool,
}

impl futures::AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        use std::io::Read;
        let this = self.get_mut();
        if this.read_parked {
            // Ready once the reactor saw the socket readable since the read parked (and only
            // then: a wake-up for another reason leaves it parked, without a system call).
            futures::ready!(this.socket.poll_readable(cx))?;
            this.read_parked = false;
        }
        loop {
            match (&mut this.socket.get_ref()).read(buf) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                result => return Poll::Ready(result),
            }
            // Ready here means a readiness the reactor reported earlier and no read had spent
            // yet; then the socket is read again.
            if this.socket.poll_readable(cx)?.is_pending() {
                this.read_parked = true;
                return Poll::Pending;
            }
        }
    }
}

impl futures::AsyncWrite for TcpStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.socket).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.socket).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::AsyncReadExt;
    use std::io::Write;

    /// A read that parked gets the bytes written afterwards, and then the end of the stream:
    /// the parked read must neither miss the reactor's wake-up nor read before it.
    #[test]
    fn a_parked_read_wakes_for_data_and_for_the_end() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        block_on(async {
            let mut client = connect_tcp("127.0.0.1", port).await.unwrap();
            let (mut server, _) = listener.accept().unwrap();
            let mut buf = [0u8; 16];
            for message in [&b"first"[..], b"second"] {
                let mut read = client.read(&mut buf);
                assert!(
                    futures::poll!(&mut read).is_pending(),
                    "nothing was written yet"
                );
                server.write_all(message).unwrap();
                let n = within_10s(read).await.unwrap();
                assert_eq!(&buf[..n], message);
            }
            let mut read = client.read(&mut buf);
            assert!(futures::poll!(&mut read).is_pending());
            drop(server);
            assert_eq!(within_10s(read).await.unwrap(), 0, "the end of the stream");
        });
    }

    /// A read that the test expects to complete; a lost wake-up fails instead of hanging.
    async fn within_10s<T>(read: impl Future<Output = io::Result<T>>) -> io::Result<T> {
        timeout(Duration::from_secs(10), read)
            .await
            .expect("the read was never woken")
    }

    #[test]
    fn a_name_without_a_listener_is_an_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let error = block_on(connect_tcp("127.0.0.1", port)).err().unwrap();
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
    }
}
