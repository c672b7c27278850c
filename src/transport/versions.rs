//! What the process remembers about servers: the Engine.IO revision each one speaks, found by
//! `ProtocolVersion = "auto"`, so that later connects (reconnects above all) skip the detection.
//!
//! Keyed by [`super::url::server_key`] (`http(s)://host:port/path`). A connect that fails
//! forgets the server's entry: the server may have been replaced by another version (1C
//! processes run for months), and the next attempt asks again.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use once_cell::sync::Lazy;

use crate::protocol::EioVersion;

/// The most servers remembered; past it the memory starts over (detection is cheap).
const MAX_SERVERS: usize = 1024;

static KNOWN: Lazy<Mutex<HashMap<String, EioVersion>>> = Lazy::new(Default::default);

fn known() -> MutexGuard<'static, HashMap<String, EioVersion>> {
    // Every critical section is one map operation: a poisoned lock holds consistent data.
    KNOWN.lock().unwrap_or_else(|e| e.into_inner())
}

/// The revision remembered for `server`, if any.
pub fn recall(server: &str) -> Option<EioVersion> {
    known().get(server).copied()
}

/// Remembers that `server` speaks `version`.
pub fn remember(server: &str, version: EioVersion) {
    let mut known = known();
    if known.len() >= MAX_SERVERS && !known.contains_key(server) {
        known.clear();
    }
    known.insert(server.to_owned(), version);
}

/// Forgets what was remembered about `server`.
pub fn forget(server: &str) {
    known().remove(server);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_and_forgets_per_server() {
        let a = "http://versions.test:1/socket.io/";
        let b = "http://versions.test:2/socket.io/";
        assert_eq!(recall(a), None);
        remember(a, EioVersion::V3);
        remember(b, EioVersion::V4);
        assert_eq!(
            (recall(a), recall(b)),
            (Some(EioVersion::V3), Some(EioVersion::V4))
        );
        forget(a);
        assert_eq!((recall(a), recall(b)), (None, Some(EioVersion::V4)));
        forget(b);
    }
}
