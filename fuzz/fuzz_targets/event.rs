//! `protocol::socketio::Event::from_packet` on any payload, also text that is not valid JSON (it
//! reads only the name): finds a name or rejects, never panics; the arguments are the payload,
//! and a name without escapes is the text at its start.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socketio1c::protocol::socketio::{Event, Packet, PacketKind};

fuzz_target!(|text: &str| {
    let packet = Packet {
        kind: PacketKind::Event,
        nsp: "/".into(),
        id: None,
        attachments: 0,
        payload: Some(text.to_owned()),
    };
    if let Ok(mut event) = Event::from_packet(packet) {
        assert_eq!(event.args(), text);
        let name = event.name().to_owned();
        if !text.contains('\\') {
            assert!(text[1..].trim_start().trim_start_matches('"').starts_with(&name));
        }
        if let Some(offset) = event.take_offset() {
            assert!(event.args().ends_with(']'), "{text:?} without {offset:?}");
        }
    }
});
