//! The method entries of `ILanguageExtenderBase` (base 1): lookup, arity, defaults and the two
//! call entries, with argument conversion and out-parameter write-back.
//!
//! A call: check the index and that `count` equals `GetNParams` (1C always passes exactly that
//! many; anything else is refused rather than read past the array), read every argument into a
//! `Value`, call the component, then write back each out-parameter of the method that the
//! component changed (1C passes every parameter by reference; only `GetEvent`'s first two are
//! written; the old string/blob buffer is freed with `FreeMemory`). Whether one changed is
//! decided against the variant itself, still untouched, so no argument is copied for it.
//! `CallAsProc` on a method that has a result discards it; `CallAsFunc` on a procedure returns
//! `Неопределено`.
#![allow(unsafe_code)]

use core::ffi::{c_long, c_void};

use crate::component::{Component, METHODS};
use crate::value::Value;

use super::members::{self, enter, index, long};
use super::object::{Failure, Object};
use super::variant::{self, TVariant};

/// `long GetNMethods()`.
///
/// # Safety
/// `this` is null or base 1 of a live object.
pub(crate) unsafe extern "system" fn get_n_methods(this: *mut c_void) -> c_long {
    // SAFETY: forwarded contract.
    unsafe { enter(this, 0, |_| Ok(long(METHODS.len()))) }
}

/// `long FindMethod(const WCHAR_T* name)`: -1 when unknown.
///
/// # Safety
/// `this` is null or base 1 of a live object; `name` is null or NUL-terminated.
pub(crate) unsafe extern "system" fn find_method(this: *mut c_void, name: *const u16) -> c_long {
    // SAFETY: forwarded contract.
    unsafe { members::find(this, name, Component::find_method) }
}

/// `const WCHAR_T* GetMethodName(long num, long alias)`: alias 0 English, 1 Russian; null when
/// unknown.
///
/// # Safety
/// `this` is null or base 1 of a live object.
pub(crate) unsafe extern "system" fn get_method_name(
    this: *mut c_void,
    num: c_long,
    alias: c_long,
) -> *const u16 {
    // SAFETY: forwarded contract.
    unsafe { members::name(this, num, alias, Component::method_name) }
}

/// `long GetNParams(long num)`: 0 for an unknown method.
///
/// # Safety
/// `this` is null or base 1 of a live object.
pub(crate) unsafe extern "system" fn get_n_params(this: *mut c_void, num: c_long) -> c_long {
    // SAFETY: forwarded contract.
    unsafe {
        enter(this, 0, |_| {
            Ok(index(num).map_or(0, |i| long(Component::param_count(i))))
        })
    }
}

/// `bool GetParamDefValue(long meth, long param, tVariant* def)`: true with the default
/// written, false when the parameter is required (not an error: 1C then reports the missing
/// argument itself).
///
/// # Safety
/// `this` is null or base 1 of a live object; `def` is null or a writable `tVariant`.
pub(crate) unsafe extern "system" fn get_param_def_value(
    this: *mut c_void,
    meth: c_long,
    param: c_long,
    def: *mut TVariant,
) -> bool {
    let body = |obj: &Object| {
        let Some(default) = index(meth)
            .zip(index(param))
            .and_then(|(m, p)| obj.component().ok()?.param_default(m, p))
        else {
            return Ok(false);
        };
        if def.is_null() {
            return Err(Failure::Abi(
                "GetParamDefValue got a null variant".to_owned(),
            ));
        }
        // SAFETY: `def` is a writable tVariant (caller, checked non-null).
        unsafe { variant::write_new(def, &default, obj.memory()) }.map_err(Failure::Abi)?;
        Ok(true)
    };
    // SAFETY: forwarded contract.
    unsafe { enter(this, false, body) }
}

/// `bool HasRetVal(long meth)`.
///
/// # Safety
/// `this` is null or base 1 of a live object.
pub(crate) unsafe extern "system" fn has_ret_val(this: *mut c_void, meth: c_long) -> bool {
    // SAFETY: forwarded contract.
    unsafe {
        enter(this, false, |_| {
            Ok(index(meth).is_some_and(Component::has_return))
        })
    }
}

/// `bool CallAsProc(long meth, tVariant* params, long count)`.
///
/// # Safety
/// `this` is null or base 1 of a live object; `params` is null or an array of `count` readable
/// and writable `tVariant`s whose payloads match their types, strings/blobs from the platform's
/// allocator.
pub(crate) unsafe extern "system" fn call_as_proc(
    this: *mut c_void,
    meth: c_long,
    params: *mut TVariant,
    count: c_long,
) -> bool {
    let body = |obj: &Object| {
        // SAFETY: forwarded contract for `params`/`count`.
        unsafe { call(obj, meth, params, count) }?;
        Ok(true)
    };
    // SAFETY: forwarded contract.
    unsafe { enter(this, false, body) }
}

/// `bool CallAsFunc(long meth, tVariant* ret, tVariant* params, long count)`.
///
/// # Safety
/// As [`call_as_proc`]; `ret` is null or a writable `tVariant` (its old content is not freed:
/// it arrives empty).
pub(crate) unsafe extern "system" fn call_as_func(
    this: *mut c_void,
    meth: c_long,
    ret: *mut TVariant,
    params: *mut TVariant,
    count: c_long,
) -> bool {
    let body = |obj: &Object| {
        if ret.is_null() {
            return Err(Failure::Abi(
                "CallAsFunc got a null return variant".to_owned(),
            ));
        }
        // SAFETY: forwarded contract for `params`/`count`.
        let (i, result) = unsafe { call(obj, meth, params, count) }?;
        let result = if Component::has_return(i) {
            result
        } else {
            Value::Empty
        };
        // SAFETY: `ret` is a writable tVariant (caller, checked non-null).
        unsafe { variant::write_new(ret, &result, obj.memory()) }.map_err(Failure::Abi)?;
        Ok(true)
    };
    // SAFETY: forwarded contract.
    unsafe { enter(this, false, body) }
}

/// The shared part of both call entries; returns the method index and its result.
///
/// # Safety
/// `params` is null or an array of `count` readable and writable `tVariant`s whose payloads
/// match their types, their strings and blobs allocated by the platform.
unsafe fn call(
    obj: &Object,
    meth: c_long,
    params: *mut TVariant,
    count: c_long,
) -> Result<(usize, Value), Failure> {
    let i = index(meth)
        .filter(|&i| i < METHODS.len())
        .ok_or_else(|| Failure::Abi(format!("no method with index {meth}")))?;
    let expected = Component::param_count(i);
    if usize::try_from(count).ok() != Some(expected) {
        let name = Component::method_name(i, 0).unwrap_or("?");
        return Err(Failure::Abi(format!(
            "{name} takes {expected} argument(s), but the platform passed {count}"
        )));
    }
    if expected > 0 && params.is_null() {
        return Err(Failure::Abi(
            "the platform passed a null argument array".to_owned(),
        ));
    }
    let mut args = Vec::with_capacity(expected);
    for k in 0..expected {
        // SAFETY: `params` has `expected` (= count) readable variants (caller, checked non-null).
        let value = unsafe { variant::read(params.add(k)) }
            .map_err(|e| Failure::Abi(format!("argument {}: {e}", k + 1)))?;
        args.push(value);
    }
    let result = obj.component()?.call(i, &mut args)?;
    let memory = obj.memory();
    let out = 0..METHODS[i].1.outs;
    for (k, new) in args.iter().enumerate().filter(|(k, _)| out.contains(k)) {
        // SAFETY: `params.add(k)` is one of the `count` in/out variants (caller), unchanged
        // since it was read above.
        if !unsafe { variant::holds(params.add(k), new) } {
            // SAFETY: as above.
            unsafe { variant::replace(params.add(k), new, memory) }
                .map_err(|e| Failure::Abi(format!("argument {}: {e}", k + 1)))?;
        }
    }
    Ok((i, result))
}
