//! `IInitDoneBase`, base 0 of the object: `Init`, `setMemManager`, `GetInfo`, `Done`.
//!
//! `Init` and `setMemManager` may come in either order; nothing assumes one before the other.
//! `Done` may come without `Init`, and twice. See `object::Object::done` for the order of the
//! shutdown steps.
#![allow(unsafe_code)]

use core::ffi::{c_long, c_void};

use super::object::{self, Object, INIT_DONE};
use super::vtable::Vtable;

/// The technology version every sample reports ("2.0").
const INFO_VERSION: c_long = 2000;

/// The methods of `IInitDoneBase` after the destructor slots.
#[repr(C)]
pub(crate) struct InitDoneMethods {
    init: unsafe extern "system" fn(*mut c_void, *mut c_void) -> bool,
    set_mem_manager: unsafe extern "system" fn(*mut c_void, *mut c_void) -> bool,
    get_info: unsafe extern "system" fn(*mut c_void) -> c_long,
    done: unsafe extern "system" fn(*mut c_void),
}

/// The `IInitDoneBase` vtable.
pub(crate) static VTABLE: Vtable<InitDoneMethods> =
    object::vtable::<INIT_DONE, _>(InitDoneMethods {
        init,
        set_mem_manager,
        get_info,
        done,
    });

/// `bool Init(void* disp)`: `disp` is the platform's `IAddInDefBase*`.
///
/// # Safety
/// `this` is null or base 0 of a live object; `disp` is null or a connection valid until `Done`.
pub(super) unsafe extern "system" fn init(this: *mut c_void, disp: *mut c_void) -> bool {
    let body = |obj: &Object| {
        // SAFETY: `disp` is null or a connection valid until `Done` (caller).
        unsafe { obj.init(disp) }
    };
    // SAFETY: forwarded contract.
    unsafe { object::enter::<INIT_DONE, _>(this, false, body) }
}

/// `bool setMemManager(void* mem)`: `mem` is the platform's `IMemoryManager*`.
///
/// # Safety
/// `this` is null or base 0 of a live object; `mem` is null or valid until `Done`.
pub(super) unsafe extern "system" fn set_mem_manager(this: *mut c_void, mem: *mut c_void) -> bool {
    let body = |obj: &Object| {
        // SAFETY: `mem` is null or a memory manager valid until `Done` (caller).
        Ok(unsafe { obj.set_memory(mem) })
    };
    // SAFETY: forwarded contract.
    unsafe { object::enter::<INIT_DONE, _>(this, false, body) }
}

/// `long GetInfo()`: 2000.
///
/// # Safety
/// `this` is null or base 0 of a live object.
pub(super) unsafe extern "system" fn get_info(this: *mut c_void) -> c_long {
    // SAFETY: forwarded contract.
    unsafe { object::enter::<INIT_DONE, _>(this, 0, |_| Ok(INFO_VERSION)) }
}

/// `void Done()`.
///
/// # Safety
/// `this` is null or base 0 of a live object.
pub(super) unsafe extern "system" fn done(this: *mut c_void) {
    let body = |obj: &Object| {
        obj.done();
        Ok(())
    };
    // SAFETY: forwarded contract.
    unsafe { object::enter::<INIT_DONE, _>(this, (), body) }
}
