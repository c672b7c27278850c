//! socketio1c: a Socket.IO client (Engine.IO 3/4, Socket.IO 4/5) that 1C:Enterprise loads as a
//! Native API add-in.
//!
//! # Layout
//! - [`addin`]: the only `unsafe` code: the C ABI (exports, vtables, `tVariant`, the platform's
//!   memory manager and connection). Every entry point catches panics.
//! - [`component`]: the `Client` object in safe Rust: properties, methods, argument checks.
//! - [`protocol`]: Engine.IO 3/4 and Socket.IO 4/5 codecs, binary reassembly, heartbeat timing;
//!   pure: bytes in, bytes out, time passed in.
//! - [`actors`]: the Connection, Registry and Dispatcher actors of each object, and the Engine
//!   and Heartbeat actors of each (shared) Engine.IO connection.
//! - [`transport`]: websocket and HTTP long-polling (with upgrade), TLS, HTTP CONNECT proxies,
//!   Engine.IO revision detection: bytes to and from the server.
//! - [`events`]: the exact text of every event 1C receives.
//! - [`endpoint`]: the `Connect` URI, parsed.
//! - [`config`]: what a connection is asked to be (settings, `ConnectRequest`, limits); pure.
//! - [`explain`]: the English and Russian texts of transport failures.
//! - [`rt`]: the async runtime seam (the only file that names async-std).
//! - [`sync`]: a mutex lock that survives a poisoned mutex.
//! - [`lang`]: English and Russian texts for errors.
//! - [`log`]: the diagnostic log (`LogFile`, `LogLevel`), written by a thread of its own.
//! - [`wide`]: UTF-16 for the platform.
//! - [`host`]: the traits through which the safe code reaches the platform (events, depth).
//! - [`value`]: owned 1C values.
//!
//! # Layers
//! A module uses only the modules of its own line and of the lines above it; `tests/layers.rs`
//! checks that, and that no files import each other in a cycle.
//! 1. `rt`, `sync`, `wide`, `value`, `lang`, `log`, `host`: the foundations
//! 2. `protocol`: the wire formats, pure
//! 3. `endpoint`, `config`: what a connection is asked to be, pure
//! 4. `transport`: bytes to and from the server
//! 5. `events`, `explain`: the texts 1C reads
//! 6. `actors`
//! 7. `component`
//! 8. `addin`
//!
//! # How things flow
//! An inbound event: socket → `transport` reader → Engine actor (Engine.IO and Socket.IO
//! decoding, once: an event becomes a `protocol::socketio::Event` that the actors after it pass
//! on; routing by namespace) → Connection actor (the namespace's events and acks) →
//! Registry actor (subscriptions, event text) → Dispatcher actor → `ExternalEvent`, or the
//! object's queue for `GetEvent` (in notify mode with a Pending `ExternalEvent` that says so).
//! A 1C call goes the other way: `addin` converts the arguments, `component` checks them and
//! sends a command to an actor; no 1C call waits on the network (the bounded waits are
//! documented on the methods). The topology and the shutdown order are described in
//! [`actors`].
#![deny(unsafe_code)]
#![warn(missing_docs, rust_2018_idioms)]

pub mod actors;
pub mod addin;
pub mod component;
pub mod config;
pub mod endpoint;
pub mod events;
pub mod explain;
pub mod host;
pub mod lang;
pub mod log;
pub mod protocol;
pub mod rt;
pub mod sync;
pub mod transport;
pub mod value;
pub mod wide;
