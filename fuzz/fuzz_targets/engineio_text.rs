//! `protocol::engineio::decode_text`: any UTF-8 text (a websocket text frame) decodes or is
//! rejected, never panics; what decodes encodes back to a frame that decodes to the same packet.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socketio1c::protocol::engineio::{decode_text, encode, Packet};
use socketio1c::protocol::{EioVersion, Frame};

fuzz_target!(|text: &str| {
    let Ok(packet) = decode_text(text.to_owned()) else {
        return;
    };
    if matches!(packet, Packet::Binary(_)) {
        panic!("a text frame decoded to binary data");
    }
    let Frame::Text(again) = encode(EioVersion::V4, &packet) else {
        panic!("a text packet encoded as a binary frame");
    };
    assert_eq!(decode_text(again).ok(), Some(packet));
});
