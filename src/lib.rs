//! socketio1c: a Socket.IO client (Engine.IO 3/4, Socket.IO 4/5) that 1C:Enterprise loads as a
//! Native API add-in.
//!
//! # Layout
//! - [`addin`]: the only `unsafe` code: the C ABI (exports, vtables, `tVariant`, the platform's
//!   memory manager and connection). Every entry point catches panics.
//! - [`component`]: the `Client` object in safe Rust: properties, methods, argument checks.
//! - [`protocol`]: Engine.IO 3/4 and Socket.IO 4/5 codecs, binary reassembly, heartbeat timing;
//!   pure: bytes in, bytes out, time passed in.
//! - [`host`]: the traits through which the safe code reaches the platform (events, depth).
//! - [`value`]: owned 1C values.
//! - [`wide`]: UTF-16 encode/decode as the platform wants it (pure, safe).
pub mod addin;
pub mod component;
pub mod host;
pub mod protocol;
pub mod value;
pub mod wide;
