//! Socket.IO servers for the tests (to be written).
