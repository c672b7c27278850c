//! `protocol::engineio::decode_binary` for both revisions: any bytes decode or are rejected; what
//! decodes encodes back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socketio1c::protocol::engineio::{decode_binary, encode_binary, Packet};
use socketio1c::protocol::EioVersion;

fuzz_target!(|input: (bool, Vec<u8>)| {
    let (v3, bytes) = input;
    let version = if v3 { EioVersion::V3 } else { EioVersion::V4 };
    match decode_binary(version, bytes.clone()) {
        Ok(Packet::Binary(data)) => assert_eq!(encode_binary(version, data), bytes),
        Ok(other) => panic!("a binary frame decoded to {other:?}"),
        Err(_) => {}
    }
});
