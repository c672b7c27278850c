//! `protocol::json`: `compact` never fails and keeps the meaning of valid JSON (same value,
//! still valid); `validate_compact` is `validate` then `compact`; `array_elements` gives valid
//! elements; `validate` and `trim` agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socketio1c::protocol::json;

fuzz_target!(|text: &str| {
    let compacted = json::compact(text);
    let Ok(valid) = json::validate(text) else {
        return;
    };
    assert_eq!(valid, json::trim(text));
    assert_eq!(json::validate_compact(text), Ok(json::compact(valid)));
    let again = json::validate(&compacted).unwrap_or_else(|e| {
        panic!("compact turned valid JSON {text:?} into invalid {compacted:?}: {e}")
    });
    let before: Result<serde_json::Value, _> = serde_json::from_str(valid);
    let after: Result<serde_json::Value, _> = serde_json::from_str(again);
    if let (Ok(before), Ok(after)) = (before, after) {
        assert_eq!(before, after, "compact changed the value of {text:?}");
    }
    if let Ok(items) = json::array_elements(text) {
        for item in items {
            assert_eq!(json::validate(item), Ok(item));
        }
    }
});
