//! `protocol::engineio::OpenInfo::parse`: the server's handshake JSON parses or is rejected;
//! what parses survives `to_json` and a second parse unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socketio1c::protocol::engineio::OpenInfo;

fuzz_target!(|text: &str| {
    if let Ok(info) = OpenInfo::parse(text) {
        assert_eq!(OpenInfo::parse(&info.to_json()).as_ref(), Ok(&info));
    }
});
