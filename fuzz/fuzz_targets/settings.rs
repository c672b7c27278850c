//! The property setters of `src/component/settings.rs` through the safe `Component` API, with
//! arbitrary 1C values on every property index (also out of range): never a panic; a refused
//! write leaves the property as it was and says why; an accepted one reads back.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use socketio1c::component::{Component, Prop, PROPS};
use socketio1c_fuzz::value;

fn writes(u: &mut Unstructured<'_>) -> Result<()> {
    let mut c = Component::new();
    while !u.is_empty() {
        let index = u.int_in_range(0..=PROPS.len() + 1)?;
        let v = value(u)?;
        let before = c.get_prop(index);
        match c.set_prop(index, v) {
            Ok(()) => assert!(
                c.get_prop(index).is_ok(),
                "property {index} cannot be read back"
            ),
            Err(e) => {
                assert!(!e.0.is_empty(), "a refusal without a message");
                // LastError is the one property a refusal changes: it tells the refusal.
                if index != Prop::LastError as usize {
                    assert_eq!(
                        c.get_prop(index),
                        before,
                        "a refused write changed property {index}"
                    );
                }
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = writes(&mut Unstructured::new(data));
});
