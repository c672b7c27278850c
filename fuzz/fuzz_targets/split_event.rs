//! `protocol::socketio::split_event` on any text, also text that is not valid JSON (it reads
//! only the name): finds a name or rejects, never panics, and the array it returns is the trimmed
//! input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socketio1c::protocol::{json, socketio::split_event};

fuzz_target!(|text: &str| {
    if let Ok(args) = split_event(text) {
        assert_eq!(args.array, json::trim(text));
    }
});
