//! What 1C reads about the connection: `Connected`, `SessionID`, `LastError`, and whether a
//! connection is open or being opened (then `Connect` is refused).
//!
//! The Connection writes it, the facade reads it; every lock here is held for a copy, never
//! across an `.await` or a platform call.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::lang::Text;
use crate::sync::lock;

/// The connection's status, one part of [`Shared`](super::shared::Shared).
#[derive(Debug, Default)]
pub struct Status {
    connected: AtomicBool,
    busy: AtomicBool,
    session_id: Mutex<String>,
    last_error: Mutex<Option<Text>>,
}

/// The properties 1C reads, copied at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// `Connected`.
    pub connected: bool,
    /// `SessionID` (empty while not joined).
    pub session_id: String,
    /// `LastError`, untranslated.
    pub last_error: Option<Text>,
}

impl Status {
    /// `Connected`, `SessionID` and `LastError` as they are now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            connected: self.connected(),
            session_id: self.session_id(),
            last_error: self.last_error(),
        }
    }

    /// `Connected`: true between the Open event and the Close/Fail event.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Whether a connection is open or being opened (then `Connect` is refused).
    pub fn busy(&self) -> bool {
        self.busy.load(Ordering::Acquire)
    }

    /// Marks a connection attempt as started or over.
    pub fn set_busy(&self, busy: bool) {
        self.busy.store(busy, Ordering::Release)
    }

    /// Called by the Connection when the namespace is joined (`sid` = the socket id) or left
    /// (`None`).
    pub fn set_session(&self, sid: Option<&str>) {
        *lock(&self.session_id) = sid.unwrap_or_default().to_owned();
        self.connected.store(sid.is_some(), Ordering::Release);
    }

    /// `SessionID`.
    pub fn session_id(&self) -> String {
        lock(&self.session_id).clone()
    }

    /// Records an error for `LastError`.
    pub fn set_last_error(&self, text: Text) {
        *lock(&self.last_error) = Some(text);
    }

    /// `LastError`, untranslated.
    pub fn last_error(&self) -> Option<Text> {
        lock(&self.last_error).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_shows_the_session_and_the_last_error() {
        let status = Status::default();
        let empty = Snapshot {
            connected: false,
            session_id: String::new(),
            last_error: None,
        };
        assert_eq!(status.snapshot(), empty);
        status.set_session(Some("s1"));
        status.set_last_error(Text::new("late", "поздно"));
        let snap = status.snapshot();
        assert!(snap.connected);
        assert_eq!(snap.session_id, "s1");
        assert_eq!(snap.last_error, Some(Text::new("late", "поздно")));
        status.set_session(None);
        assert_eq!(
            status.snapshot(),
            Snapshot {
                last_error: snap.last_error,
                ..empty
            }
        );
    }
}
