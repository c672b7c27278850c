//! Test rig shared by the tests, the examples and the benchmarks of socketio1c.
//!
//! - `host`: a 1C:Enterprise host emulator that loads the built add-in with dlopen and drives
//!   it through the C ABI as 1C does.
//! - `servers`: real Socket.IO servers (node, python) started on free loopback ports.
//! - `cluster`: socket.io 4 nodes on one Redis behind nginx with cookie stickiness.
//! - `proxy`: a small HTTP CONNECT proxy on a free loopback port.
//! - `fake_server`: a raw TCP/websocket server whose handlers can send anything (hostile tests).
pub mod cluster;
pub mod fake_server;
pub mod host;
pub mod proxy;
pub mod servers;
