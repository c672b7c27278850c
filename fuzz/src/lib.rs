//! Helpers shared by the fuzz targets: turning fuzzer bytes into 1C values and protocol inputs.
//!
//! Every target lives in `fuzz_targets/`; `README.md` says how to run them. A target fails when
//! the code under test panics, aborts, runs out of memory (libFuzzer's `-rss_limit_mb`) or breaks
//! one of the properties the target asserts.

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use socketio1c::protocol::EioVersion;
use socketio1c::value::Value;

/// Short strings that the conversions treat specially, so the fuzzer meets them often.
const WORDS: [&str; 16] = [
    "",
    " ",
    "5",
    "0",
    "-1",
    "1e400",
    "NaN",
    "auto",
    "websocket,polling",
    "queue",
    "{\"a\":1}",
    "[1,2]",
    "ws://127.0.0.1:1/",
    "http://u:p@h:1",
    "Очередь",
    "*",
];

/// An arbitrary 1C value: every variant of [`Value`], numbers from their raw bits (NaN, ±∞,
/// subnormals), strings either arbitrary or one of [`WORDS`].
pub fn value(u: &mut Unstructured<'_>) -> Result<Value> {
    Ok(match u.int_in_range(0u8..=7)? {
        0 => Value::Empty,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::I32(u.arbitrary()?),
        3 => Value::F64(f64::from_bits(u.arbitrary()?)),
        4 => Value::String(u.arbitrary()?),
        5 => Value::String((*u.choose(&WORDS)?).to_owned()),
        6 => Value::Blob(u.arbitrary()?),
        _ => Value::Unsupported(u.arbitrary()?),
    })
}

/// Either Engine.IO revision.
pub fn version(u: &mut Unstructured<'_>) -> Result<EioVersion> {
    Ok(if u.arbitrary()? {
        EioVersion::V3
    } else {
        EioVersion::V4
    })
}
