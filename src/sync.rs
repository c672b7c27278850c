//! [`lock`]: a mutex's guard whether or not the lock is poisoned.
//!
//! A poisoned lock only means that a thread panicked while holding it. Every value the add-in
//! keeps behind a mutex is replaced, pushed to or swapped whole, never left half-written, so it
//! stays usable; and a panic in one call must not turn every later call into another one.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `m`, taking the guard of a poisoned lock too.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
