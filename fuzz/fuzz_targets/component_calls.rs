//! The method argument conversions (`Send`, `SendJSON`, `Connect`, `On`, `GetEvent`, …) through
//! the safe `Component` API, with arbitrary 1C values and argument counts, on an object that the
//! platform never initialised (so nothing reaches the network): never a panic, every refusal has
//! a message.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use socketio1c::component::{Component, Method, METHODS};
use socketio1c::value::Value;
use socketio1c_fuzz::value;

fn calls(u: &mut Unstructured<'_>) -> Result<()> {
    let mut c = Component::new();
    while !u.is_empty() {
        let index = u.int_in_range(0..=METHODS.len())?;
        let count = match METHODS.get(index) {
            Some((_, info)) if u.ratio(7, 8)? => info.params,
            _ => u.int_in_range(0..=4)?,
        };
        let mut args = Vec::with_capacity(count);
        for _ in 0..count {
            args.push(value(u)?);
        }
        // GetEvent may legitimately wait up to a day for an event that never comes here.
        if matches!(METHODS.get(index), Some((Method::GetEvent, _))) {
            if let Some(wait @ (Value::I32(_) | Value::F64(_))) = args.get_mut(2) {
                *wait = Value::I32(0);
            }
        }
        if let Err(e) = c.call(index, &mut args) {
            assert!(!e.0.is_empty(), "a refusal without a message");
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = calls(&mut Unstructured::new(data));
});
