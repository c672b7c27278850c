//! `ILanguageExtenderBase`, base 1 of the object: its vtable, `RegisterExtensionAs`, and the
//! property entries. The method entries are in `methods`, what both share in `members`.
//!
//! Strings returned to the platform (`RegisterExtensionAs`, `GetPropName`) come from its
//! `AllocMemory`; the platform frees them.
#![allow(unsafe_code)]

use core::ffi::{c_long, c_void};

use crate::component::{Component, CLASS_NAME, PROPS};

use super::members::{self, alloc_name, enter, index, long};
use super::methods;
use super::object::{self, Failure, Object, LANGUAGE_EXTENDER};
use super::variant::{self, TVariant};
use super::vtable::Vtable;

/// The methods of `ILanguageExtenderBase` after the destructor slots, in kit order.
#[repr(C)]
pub(crate) struct LanguageExtenderMethods {
    register_extension_as: unsafe extern "system" fn(*mut c_void, *mut *mut u16) -> bool,
    get_n_props: unsafe extern "system" fn(*mut c_void) -> c_long,
    find_prop: unsafe extern "system" fn(*mut c_void, *const u16) -> c_long,
    get_prop_name: unsafe extern "system" fn(*mut c_void, c_long, c_long) -> *const u16,
    get_prop_val: unsafe extern "system" fn(*mut c_void, c_long, *mut TVariant) -> bool,
    set_prop_val: unsafe extern "system" fn(*mut c_void, c_long, *mut TVariant) -> bool,
    is_prop_readable: unsafe extern "system" fn(*mut c_void, c_long) -> bool,
    is_prop_writable: unsafe extern "system" fn(*mut c_void, c_long) -> bool,
    get_n_methods: unsafe extern "system" fn(*mut c_void) -> c_long,
    find_method: unsafe extern "system" fn(*mut c_void, *const u16) -> c_long,
    get_method_name: unsafe extern "system" fn(*mut c_void, c_long, c_long) -> *const u16,
    get_n_params: unsafe extern "system" fn(*mut c_void, c_long) -> c_long,
    get_param_def_value:
        unsafe extern "system" fn(*mut c_void, c_long, c_long, *mut TVariant) -> bool,
    has_ret_val: unsafe extern "system" fn(*mut c_void, c_long) -> bool,
    call_as_proc: unsafe extern "system" fn(*mut c_void, c_long, *mut TVariant, c_long) -> bool,
    call_as_func: unsafe extern "system" fn(
        *mut c_void,
        c_long,
        *mut TVariant,
        *mut TVariant,
        c_long,
    ) -> bool,
}

/// The `ILanguageExtenderBase` vtable.
pub(crate) static VTABLE: Vtable<LanguageExtenderMethods> =
    object::vtable::<LANGUAGE_EXTENDER, _>(LanguageExtenderMethods {
        register_extension_as,
        get_n_props,
        find_prop,
        get_prop_name,
        get_prop_val,
        set_prop_val,
        is_prop_readable,
        is_prop_writable,
        get_n_methods: methods::get_n_methods,
        find_method: methods::find_method,
        get_method_name: methods::get_method_name,
        get_n_params: methods::get_n_params,
        get_param_def_value: methods::get_param_def_value,
        has_ret_val: methods::has_ret_val,
        call_as_proc: methods::call_as_proc,
        call_as_func: methods::call_as_func,
    });

/// `bool RegisterExtensionAs(WCHAR_T** ext)`: the class name, in platform memory.
///
/// # Safety
/// `this` is null or base 1 of a live object; `ext` is null or a writable `WCHAR_T**`.
pub(super) unsafe extern "system" fn register_extension_as(
    this: *mut c_void,
    ext: *mut *mut u16,
) -> bool {
    let body = |obj: &Object| {
        if ext.is_null() {
            return Err(Failure::Abi(
                "RegisterExtensionAs got a null pointer".to_owned(),
            ));
        }
        let p = alloc_name(obj, CLASS_NAME)?;
        // SAFETY: `ext` is a writable, non-null `WCHAR_T**` (caller, checked above).
        unsafe { ext.write_unaligned(p) };
        Ok(true)
    };
    // SAFETY: forwarded contract.
    unsafe { enter(this, false, body) }
}

/// `long GetNProps()`.
///
/// # Safety
/// `this` is null or base 1 of a live object.
pub(super) unsafe extern "system" fn get_n_props(this: *mut c_void) -> c_long {
    // SAFETY: forwarded contract.
    unsafe { enter(this, 0, |_| Ok(long(PROPS.len()))) }
}

/// `long FindProp(const WCHAR_T* name)`: -1 when unknown.
///
/// # Safety
/// `this` is null or base 1 of a live object; `name` is null or NUL-terminated.
pub(super) unsafe extern "system" fn find_prop(this: *mut c_void, name: *const u16) -> c_long {
    // SAFETY: forwarded contract.
    unsafe { members::find(this, name, Component::find_prop) }
}

/// `const WCHAR_T* GetPropName(long num, long alias)`: alias 0 English, 1 Russian; null when
/// unknown.
///
/// # Safety
/// `this` is null or base 1 of a live object.
pub(super) unsafe extern "system" fn get_prop_name(
    this: *mut c_void,
    num: c_long,
    alias: c_long,
) -> *const u16 {
    // SAFETY: forwarded contract.
    unsafe { members::name(this, num, alias, Component::prop_name) }
}

/// `bool GetPropVal(long num, tVariant* val)`.
///
/// # Safety
/// `this` is null or base 1 of a live object; `val` is null or a writable `tVariant`.
pub(super) unsafe extern "system" fn get_prop_val(
    this: *mut c_void,
    num: c_long,
    val: *mut TVariant,
) -> bool {
    let body = |obj: &Object| {
        if val.is_null() {
            return Err(Failure::Abi("GetPropVal got a null variant".to_owned()));
        }
        let i = index(num).ok_or_else(|| Failure::Abi(format!("no property with index {num}")))?;
        let value = obj.component()?.get_prop(i)?;
        // SAFETY: `val` is a writable tVariant (caller, checked non-null).
        unsafe { variant::write_new(val, &value, obj.memory()) }.map_err(Failure::Abi)?;
        Ok(true)
    };
    // SAFETY: forwarded contract.
    unsafe { enter(this, false, body) }
}

/// `bool SetPropVal(long num, tVariant* val)`.
///
/// # Safety
/// `this` is null or base 1 of a live object; `val` is null or a readable `tVariant` whose
/// payload matches its type.
pub(super) unsafe extern "system" fn set_prop_val(
    this: *mut c_void,
    num: c_long,
    val: *mut TVariant,
) -> bool {
    let body = |obj: &Object| {
        if val.is_null() {
            return Err(Failure::Abi("SetPropVal got a null variant".to_owned()));
        }
        let i = index(num).ok_or_else(|| Failure::Abi(format!("no property with index {num}")))?;
        // SAFETY: `val` is a readable tVariant (caller, checked non-null).
        let value = unsafe { variant::read(val) }.map_err(Failure::Abi)?;
        obj.component()?.set_prop(i, value)?;
        Ok(true)
    };
    // SAFETY: forwarded contract.
    unsafe { enter(this, false, body) }
}

/// `bool IsPropReadable(long num)`.
///
/// # Safety
/// `this` is null or base 1 of a live object.
pub(super) unsafe extern "system" fn is_prop_readable(this: *mut c_void, num: c_long) -> bool {
    // SAFETY: forwarded contract.
    unsafe {
        enter(this, false, |_| {
            Ok(index(num).is_some_and(Component::is_prop_readable))
        })
    }
}

/// `bool IsPropWritable(long num)`.
///
/// # Safety
/// `this` is null or base 1 of a live object.
pub(super) unsafe extern "system" fn is_prop_writable(this: *mut c_void, num: c_long) -> bool {
    // SAFETY: forwarded contract.
    unsafe {
        enter(this, false, |_| {
            Ok(index(num).is_some_and(Component::is_prop_writable))
        })
    }
}
