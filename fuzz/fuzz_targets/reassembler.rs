//! `protocol::binary::Reassembler`: a decoded packet followed by N binary frames, with small
//! limits so that every limit is reached. Never panics; a completed packet's payload is valid
//! JSON; the reassembler is ready for the next packet after every error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socketio1c::protocol::binary::Reassembler;
use socketio1c::protocol::{json, socketio};

const MAX_ATTACHMENTS: usize = 8;
const MAX_BYTES: usize = 4096;

fuzz_target!(|input: (Vec<String>, Vec<Vec<u8>>, Vec<bool>)| {
    let (texts, frames, order) = input;
    let mut reassembler = Reassembler::new(MAX_ATTACHMENTS, MAX_BYTES);
    let (mut texts, mut frames) = (texts.into_iter(), frames.into_iter());
    // `order` interleaves packets and frames as a server could send them.
    for text_next in order {
        let result = if text_next {
            let Some(text) = texts.next() else { break };
            match socketio::decode_owned(text) {
                Ok(packet) => reassembler.start(packet),
                Err(_) => continue,
            }
        } else {
            let Some(frame) = frames.next() else { break };
            reassembler.push(frame)
        };
        match result {
            Ok(Some(packet)) => {
                if let Some(payload) = &packet.payload {
                    assert!(
                        json::validate(payload).is_ok(),
                        "invalid JSON out: {payload}"
                    );
                }
                assert!(!reassembler.is_pending());
            }
            Ok(None) => {}
            Err(_) => assert!(!reassembler.is_pending(), "an error left a packet pending"),
        }
    }
});
