//! [`lock`]: a mutex's guard whether or not the lock is poisoned; [`Signal`]: a wake-up for one
//! waiter.
//!
//! A poisoned lock only means that a thread panicked while holding it. Every value the add-in
//! keeps behind a mutex is replaced, pushed to or swapped whole, never left half-written, so it
//! stays usable; and a panic in one call must not turn every later call into another one.

use std::future::Future;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Poll;

use futures::task::AtomicWaker;

/// Locks `m`, taking the guard of a poisoned lock too.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A wake-up for one waiter at a time: [`Signal::notify`] from any thread, [`Signal::wait`]
/// returns once a notification came since the last wait returned, or at once for good after
/// [`Signal::close`]. Two words and a waker, where a channel of capacity one costs 768 bytes
/// (it is cache-padded): each object has a few of these.
#[derive(Debug, Default)]
pub struct Signal {
    waker: AtomicWaker,
    /// [`NOTIFIED`] and [`CLOSED`] bits.
    state: AtomicU8,
}

const NOTIFIED: u8 = 1;
const CLOSED: u8 = 2;

impl Signal {
    /// Wakes the waiter, or the next wait if none waits now.
    pub fn notify(&self) {
        self.state.fetch_or(NOTIFIED, Ordering::AcqRel);
        self.waker.wake();
    }

    /// Every wait from now on returns at once.
    pub fn close(&self) {
        self.state.fetch_or(CLOSED, Ordering::AcqRel);
        self.waker.wake();
    }

    /// Waits for a notification (taking it) or the close.
    pub fn wait(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            if self.take() {
                return Poll::Ready(());
            }
            self.waker.register(cx.waker());
            // A notification between the first look and the registration is seen here.
            if self.take() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }

    fn take(&self) -> bool {
        self.state.fetch_and(!NOTIFIED, Ordering::AcqRel) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    const WAIT: Duration = Duration::from_secs(20);

    #[test]
    fn a_notification_wakes_the_waiter_once_and_close_for_good() {
        let signal = Arc::new(Signal::default());
        signal.notify();
        // Taken by the first wait; the second needs a new one, from another thread.
        crate::rt::block_on(signal.wait());
        let other = signal.clone();
        let notifier = std::thread::spawn(move || other.notify());
        assert!(crate::rt::block_on(crate::rt::timeout(WAIT, signal.wait())).is_some());
        notifier.join().unwrap();
        let pending =
            crate::rt::block_on(crate::rt::timeout(Duration::from_millis(10), signal.wait()));
        assert!(pending.is_none(), "no notification, no wake-up");
        signal.close();
        for _ in 0..3 {
            crate::rt::block_on(signal.wait());
        }
    }
}
