//! `protocol::polling::decode_payload` in its three framings (EIO3 text, EIO3 binary, EIO4):
//! any body decodes or is rejected. A decoded body re-encoded in the same framing decodes to the
//! same packets (EIO4 and EIO3 binary; EIO3 text drops empty `0:` records by design).
#![no_main]

use libfuzzer_sys::fuzz_target;
use socketio1c::protocol::polling::{decode_payload, encode_binary_payload_v3, encode_payload};
use socketio1c::protocol::EioVersion;

fuzz_target!(|input: (u8, &[u8])| {
    let (framing, body) = input;
    let (version, binary) = match framing % 3 {
        0 => (EioVersion::V3, false),
        1 => (EioVersion::V3, true),
        _ => (EioVersion::V4, false),
    };
    let Ok(packets) = decode_payload(version, body, binary) else {
        return;
    };
    let again = match (version, binary) {
        (EioVersion::V3, true) => encode_binary_payload_v3(&packets),
        _ => encode_payload(version, &packets),
    };
    if packets.is_empty() {
        return;
    }
    assert_eq!(
        decode_payload(version, &again, binary).ok().as_ref(),
        Some(&packets),
        "re-encoded body does not decode to the same packets"
    );
});
