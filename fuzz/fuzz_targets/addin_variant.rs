//! The raw `tVariant` conversions of `src/addin/variant.rs`, reached through the object's real
//! vtable entries (`src/addin/fuzzing.rs`, built only under `cargo fuzz`): any VTYPE, any payload
//! bits, strings and blobs of any content, null pointers with any length, any index and argument
//! count. Never a panic (not even one that the entry guard catches and reports as an `internal
//! error`), never a leak or a bad free of platform memory.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use socketio1c::addin::fuzzing::{run, Op, RawArg};

fn raw_arg(u: &mut Unstructured<'_>) -> Result<RawArg> {
    Ok(match u.int_in_range(0u8..=4)? {
        0 => RawArg::Raw {
            vt: u.int_in_range(0..=25)?,
            bits: u.arbitrary()?,
        },
        1 => RawArg::Raw {
            vt: u.arbitrary()?,
            bits: u.arbitrary()?,
        },
        2 => RawArg::Wide(u.arbitrary()?),
        3 => RawArg::Narrow(u.arbitrary()?),
        _ => RawArg::Blob(u.arbitrary()?),
    })
}

fn index(u: &mut Unstructured<'_>) -> Result<i64> {
    Ok(if u.ratio(15, 16)? {
        u.int_in_range(-1..=24)?
    } else {
        u.arbitrary()?
    })
}

fn ops(u: &mut Unstructured<'_>) -> Result<Vec<Op>> {
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < 32 {
        ops.push(match u.int_in_range(0u8..=4)? {
            0 => Op::SetProp(index(u)?, raw_arg(u)?),
            1 => Op::GetProp(index(u)?),
            2 => {
                let count = u.int_in_range(0..=4)?;
                let mut args = Vec::with_capacity(count);
                for _ in 0..count {
                    args.push(raw_arg(u)?);
                }
                Op::Call {
                    index: index(u)?,
                    args,
                    func: u.arbitrary()?,
                }
            }
            3 => Op::ParamDefault(index(u)?, index(u)?),
            _ => Op::Names(index(u)?, index(u)?),
        });
    }
    Ok(ops)
}

fuzz_target!(|data: &[u8]| {
    let Ok(ops) = ops(&mut Unstructured::new(data)) else {
        return;
    };
    let outcome = run(&ops);
    assert_eq!(outcome.leaked_blocks, 0, "platform memory leaked: {ops:?}");
    assert_eq!(
        outcome.bad_frees, 0,
        "a bad free of platform memory: {ops:?}"
    );
    assert_eq!(outcome.panics, 0, "a panic inside the add-in: {ops:?}");
});
