//! socketio1c: a Socket.IO client (Engine.IO 3/4, Socket.IO 4/5) that 1C:Enterprise loads as a
//! Native API add-in.
//!
//! # Layout
//! - [`addin`]: the only `unsafe` code: the C ABI (exports, vtables, `tVariant`, the platform's
//!   memory manager and connection). Every entry point catches panics.
//! - [`component`]: the `Client` object in safe Rust: properties, methods, argument checks.
//! - [`protocol`]: Engine.IO 3/4 and Socket.IO 4/5 codecs, binary reassembly, heartbeat timing;
//!   pure: bytes in, bytes out, time passed in.
//! - [`actors`]: the Connection, Heartbeat, Registry and Dispatcher actors of each object.
//! - [`transport`]: websocket (and later polling, TLS, proxies): bytes to and from the server.
//! - [`events`]: the exact text of every event 1C receives.
//! - [`endpoint`]: the `Connect` URI, parsed.
//! - [`rt`]: the async runtime seam (the only file that names async-std).
//! - [`lang`]: English and Russian texts for errors.
//! - [`wide`]: UTF-16 for the platform.
//! - [`host`]: the traits through which the safe code reaches the platform (events, depth).
//! - [`value`]: owned 1C values.
#![deny(unsafe_code)]
#![warn(missing_docs, rust_2018_idioms)]

pub mod actors;
pub mod addin;
pub mod component;
pub mod endpoint;
pub mod events;
pub mod host;
pub mod lang;
pub mod protocol;
pub mod rt;
pub mod transport;
pub mod value;
pub mod wide;
