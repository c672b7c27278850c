//! The five C exports the platform looks up by name: `GetClassNames`, `GetClassObject`,
//! `DestroyObject`, `SetPlatformCapabilities`, `GetAttachType`.
//!
//! Plain `extern "C"` (cdecl on Windows x86), undecorated names. Each body runs through the
//! panic guard and answers its failure value on a panic. The top of `addin`: the one place that
//! puts the four interfaces' vtables into an object (`new_object`).
#![allow(unsafe_code)]

use core::ffi::{c_int, c_long, c_void};

use crate::component::CLASS_NAME;
use crate::wide;

use super::object::{self, INIT_DONE, LANGUAGE_EXTENDER, LOCALE, USER_LANGUAGE};
use super::{connection, extender, guard, init_done, locale, pin, wstr};

/// `|`-separated class list, NUL-terminated UTF-16; static, so valid for the library's life.
static CLASS_NAMES: [u16; CLASS_NAME.len() + 1] = wide::ascii_nul(CLASS_NAME);

/// `eAppCapabilities3`: the object has all four bases of the 8.3.21+ kit.
const APP_CAPABILITIES_SUPPORTED: c_int = 3;

/// `eCanAttachAny`: works in-process and in an isolated process.
const CAN_ATTACH_ANY: c_int = 3;

/// A new live object with each base's vptr on its interface's vtable; its `IComponentBase*`.
pub(crate) fn new_object() -> *mut c_void {
    let mut vptrs = [std::ptr::null(); object::BASES];
    vptrs[INIT_DONE] = init_done::VTABLE.vptr();
    vptrs[LANGUAGE_EXTENDER] = extender::VTABLE.vptr();
    vptrs[LOCALE] = locale::LOCALE_VTABLE.vptr();
    vptrs[USER_LANGUAGE] = locale::USER_LANGUAGE_VTABLE.vptr();
    object::create(vptrs)
}

/// `const WCHAR_T* GetClassNames()`: `u"Client"`.
#[no_mangle]
pub extern "C" fn GetClassNames() -> *const u16 {
    guard::or_fail(std::ptr::null(), || CLASS_NAMES.as_ptr())
}

/// `long GetClassObject(const WCHAR_T* clsName, IComponentBase** pIntf)`: creates one object
/// and stores its `IComponentBase*` in `*pIntf`. Returns 1 on success, 0 for an unknown class,
/// a null argument or a failure (then `*pIntf` is untouched).
///
/// # Safety
/// `cls_name` is null or NUL-terminated UTF-16; `out` is null or a writable pointer slot.
#[no_mangle]
pub unsafe extern "C" fn GetClassObject(cls_name: *const u16, out: *mut *mut c_void) -> c_long {
    guard::or_fail(0, || {
        if out.is_null() {
            return 0;
        }
        // SAFETY: null or NUL-terminated (caller).
        match unsafe { wstr::read_nul_terminated(cls_name) } {
            Some(name) if name == CLASS_NAME => {}
            _ => return 0,
        }
        pin::pin_library();
        let obj = new_object();
        // SAFETY: `out` is a writable, non-null pointer slot (caller).
        unsafe { out.write_unaligned(obj) };
        1
    })
}

/// `long DestroyObject(IComponentBase** pIntf)`: drops and frees the object and nulls
/// `*pIntf`. 0 on success, -1 for a null argument or a pointer that is not a live object (an
/// object already deleted through its destructor slot is not freed twice).
///
/// # Safety
/// `obj` is null or a readable and writable pointer slot holding null, or an `IComponentBase*`
/// from `GetClassObject`, with no call on that object in progress.
#[no_mangle]
pub unsafe extern "C" fn DestroyObject(obj: *mut *mut c_void) -> c_long {
    guard::or_fail(-1, || {
        if obj.is_null() {
            return -1;
        }
        // SAFETY: `obj` is a readable pointer slot (caller).
        let target = unsafe { obj.read_unaligned() };
        // SAFETY: `target` is null, or base 0 of an object from `GetClassObject` (caller);
        // `destroy` checks the live set before touching it.
        if !unsafe { object::destroy(object::from_base::<INIT_DONE>(target)) } {
            return -1;
        }
        // SAFETY: `obj` is a writable pointer slot (caller).
        unsafe { obj.write_unaligned(std::ptr::null_mut()) };
        0
    })
}

/// `AppCapabilities SetPlatformCapabilities(AppCapabilities)`: remembers the platform's level
/// and answers `eAppCapabilities3`.
#[no_mangle]
pub extern "C" fn SetPlatformCapabilities(capabilities: c_int) -> c_int {
    guard::or_fail(APP_CAPABILITIES_SUPPORTED, || {
        connection::set_capabilities(capabilities);
        APP_CAPABILITIES_SUPPORTED
    })
}

/// `AttachType GetAttachType()`: `eCanAttachAny`.
#[no_mangle]
pub extern "C" fn GetAttachType() -> c_int {
    guard::or_fail(CAN_ATTACH_ANY, || CAN_ATTACH_ANY)
}
