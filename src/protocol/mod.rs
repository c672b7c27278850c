//! Engine.IO and Socket.IO on the wire: pure code, no I/O, no clock (time is passed in).
