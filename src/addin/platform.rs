//! What the component gets in `Init`: [`InitPlatform`], the `crate::host::Platform` view of
//! the connection, and [`HostEventSink`], the `crate::host::EventSink` that the component's
//! dispatcher calls from its own thread and that `Done` cuts off.
//!
//! The sink's connection pointer sits in a `Mutex<Option<_>>`. `external_event` holds the lock
//! for the whole platform call; `invalidate` takes the same lock and empties it. So once
//! `invalidate` returns, no `ExternalEvent` is running and none can start: a call in progress
//! finishes first, a later one finds `None` and returns false.
#![cfg_attr(test, allow(unsafe_code))]

use std::sync::{Arc, Mutex, MutexGuard};

use crate::host::{AppType, EventSink, Platform};

use super::connection::{Connection, EventTarget};

/// What `Component::init` gets: the connection (if `Init` got one), the capability level, and
/// the event sink that the object created for this `Init`. The component keeps it until its
/// `done()` (called from `Done`, before the connection is forgotten) and uses it only on the 1C
/// thread, during platform calls.
pub(crate) struct InitPlatform {
    pub(crate) connection: Option<Connection>,
    pub(crate) capabilities: i32,
    pub(crate) sink: Arc<HostEventSink>,
}

impl Platform for InitPlatform {
    fn set_event_buffer_depth(&self, depth: i32) -> bool {
        self.connection
            .is_some_and(|c| c.set_event_buffer_depth(depth))
    }

    fn app_type(&self) -> AppType {
        self.connection
            .map_or(AppType::Unknown, |c| c.app_type(self.capabilities))
    }

    fn event_sink(&self) -> Arc<dyn EventSink> {
        self.sink.clone()
    }
}

/// The event sink of one object, for one `Init`..`Done` span.
#[derive(Debug)]
pub(crate) struct HostEventSink {
    target: Mutex<Option<EventTarget>>,
}

impl HostEventSink {
    /// A sink that delivers to `target` until [`HostEventSink::invalidate`]; with `None` it
    /// never delivers (an `Init` without a connection).
    pub(crate) fn new(target: Option<EventTarget>) -> Arc<HostEventSink> {
        Arc::new(HostEventSink {
            target: Mutex::new(target),
        })
    }

    /// Forgets the connection, waiting for an `ExternalEvent` in progress to return.
    pub(crate) fn invalidate(&self) {
        *self.lock() = None;
    }

    /// Whether events can still be delivered.
    #[cfg(test)]
    pub(crate) fn is_live(&self) -> bool {
        self.lock().is_some()
    }

    fn lock(&self) -> MutexGuard<'_, Option<EventTarget>> {
        // Poisoning cannot leave the Option half-written; keep going with the inner value.
        crate::sync::lock(&self.target)
    }
}

impl EventSink for HostEventSink {
    fn external_event(&self, source: &[u16], event: &[u16], data: &[u16]) -> bool {
        let guard = self.lock();
        match guard.as_ref() {
            Some(target) => target.external_event(source, event, data),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::connection::fake::FakeConnection;
    use super::*;
    use crate::wide::to_wide_nul;

    #[test]
    fn delivers_until_invalidated() {
        let fake = FakeConnection::new(0);
        // SAFETY: the fake outlives the sink's use of it (invalidated below, before drop).
        let conn = unsafe { Connection::from_raw(fake.as_raw()) }.unwrap();
        let sink = HostEventSink::new(Some(conn.event_target()));
        let (s, e, d) = (to_wide_nul("S"), to_wide_nul("E"), to_wide_nul("D"));
        let shared: Arc<dyn EventSink> = sink.clone();
        let t = std::thread::spawn(move || shared.external_event(&s, &e, &d));
        assert!(t.join().unwrap());
        sink.invalidate();
        assert!(!sink.is_live());
        assert!(!sink.external_event(&to_wide_nul("S"), &to_wide_nul("E"), &to_wide_nul("D")));
        assert_eq!(fake.log.lock().unwrap().events.len(), 1);
    }

    #[test]
    fn without_connection_nothing_is_delivered() {
        let sink = HostEventSink::new(None);
        assert!(!sink.external_event(&[0], &[0], &[0]));
    }
}
