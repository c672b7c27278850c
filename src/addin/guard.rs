//! Panic containment: the one helper through which every export and vtable entry runs its body.
//!
//! Since Rust 1.81 a panic that unwinds out of an `extern "C"`/`extern "system"` function aborts
//! the process, which here is the whole 1C client or server. [`catch`] turns a panic into the
//! panic's text; the callers turn that into the entry's failure value (and, where an object is
//! at hand, into `LastError` plus `AddError`, see `object::Object::enter`). The release profile
//! must keep `panic = "unwind"` or nothing here can catch anything.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`, returning its value, or the panic message if it panicked.
///
/// `AssertUnwindSafe` is deliberate: after a caught panic the caller either returns a failure
/// value without touching the state again, or only records an error text in it; a
/// half-updated component is still memory-safe (safe Rust), at worst logically stale.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| panic_message(payload.as_ref()))
}

/// Runs `f`; a panic becomes `fail`. For entries that have no object to report to.
pub(crate) fn or_fail<R>(fail: R, f: impl FnOnce() -> R) -> R {
    catch(f).unwrap_or(fail)
}

/// The text of a panic payload (`panic!("..")` gives `&str` or `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_passes_through() {
        assert_eq!(catch(|| 5), Ok(5));
        assert_eq!(or_fail(-1, || 7), 7);
    }

    #[test]
    fn panics_become_text() {
        assert_eq!(catch(|| -> i32 { panic!("boom") }), Err("boom".to_owned()));
        let n = 3;
        assert_eq!(
            catch(|| -> i32 { panic!("boom {n}") }),
            Err("boom 3".to_owned())
        );
        assert_eq!(
            catch(|| -> i32 { std::panic::panic_any(42u8) }).unwrap_err(),
            "panic with a non-text payload"
        );
        assert!(!or_fail(false, || -> bool { panic!("x") }));
    }
}
