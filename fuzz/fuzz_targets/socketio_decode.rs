//! `protocol::socketio::decode` and `decode_owned`: any text decodes or is rejected, both agree,
//! an EVENT becomes an `Event`, and what decodes encodes back to text that decodes to the same
//! packet.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socketio1c::protocol::socketio::{decode, decode_owned, encode, Event, PacketKind};

fuzz_target!(|text: &str| {
    let borrowed = decode(text);
    let owned = decode_owned(text.to_owned());
    assert_eq!(borrowed, owned, "decode and decode_owned disagree");
    let Ok(packet) = borrowed else {
        return;
    };
    if matches!(packet.kind, PacketKind::Event | PacketKind::BinaryEvent) {
        let _ = Event::from_packet(packet.clone());
    }
    let again = encode(&packet);
    let mut expected = packet.clone();
    if expected.nsp.is_empty() {
        expected.nsp = "/".into();
    }
    // A namespace without a ',' runs to the end of the text, so one followed by a payload only
    // round-trips when the encoder's ',' is there; the encoder always writes it.
    assert_eq!(
        decode(&again),
        Ok(expected),
        "round trip of {text:?} via {again:?}"
    );
});
