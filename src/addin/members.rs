//! What the property entries (`extender`) and the method entries (`methods`) of
//! `ILanguageExtenderBase` (base 1) share: the entry wrapper, C `long` indexes, and the lookups
//! by name (`FindProp`/`FindMethod`) and by index (`GetPropName`/`GetMethodName`), each
//! written once.
//!
//! Indexes arrive as C `long`: a negative one is treated like an unknown one. Names returned to
//! the platform come from its `AllocMemory`; the platform frees them.
#![allow(unsafe_code)]

use core::ffi::{c_long, c_void};

use super::object::{self, Failure, Object, LANGUAGE_EXTENDER};
use super::wstr;

/// Runs an entry of base 1 (see `object::enter`).
///
/// # Safety
/// `this` is null or base 1 of a live object, used as `object::enter` requires.
pub(crate) unsafe fn enter<R>(
    this: *mut c_void,
    fail: R,
    body: impl FnOnce(&Object) -> Result<R, Failure>,
) -> R {
    // SAFETY: forwarded contract.
    unsafe { object::enter::<LANGUAGE_EXTENDER, R>(this, fail, body) }
}

/// A C `long` index as `usize`; negative → `None`.
pub(crate) fn index(n: c_long) -> Option<usize> {
    usize::try_from(n).ok()
}

/// A count or index as a C `long` (the tables are tiny; saturates rather than wraps).
pub(crate) fn long(n: usize) -> c_long {
    c_long::try_from(n).unwrap_or(c_long::MAX)
}

/// Copies a name into platform memory, NUL-terminated (the platform frees it).
pub(crate) fn alloc_name(obj: &Object, name: &str) -> Result<*mut u16, Failure> {
    let (p, _) = obj
        .require_memory()?
        .alloc_wide(name)
        .map_err(Failure::Abi)?;
    Ok(p.as_ptr())
}

/// The body of `long FindProp(const WCHAR_T* name)` and `long FindMethod(…)`: the index that
/// `find` gives for the name; -1 when unknown, and for a null or unreadable name.
///
/// # Safety
/// `this` is null or base 1 of a live object; `name` is null or NUL-terminated.
pub(crate) unsafe fn find(
    this: *mut c_void,
    name: *const u16,
    find: fn(&str) -> Option<usize>,
) -> c_long {
    let body = |_: &Object| {
        // SAFETY: `name` is null or NUL-terminated (caller).
        let name = unsafe { wstr::read_nul_terminated(name) };
        Ok(name.and_then(|n| find(&n)).map_or(-1, long))
    };
    // SAFETY: forwarded contract.
    unsafe { enter(this, -1, body) }
}

/// The body of `const WCHAR_T* GetPropName(long num, long alias)` and `GetMethodName(…)`: the
/// name that `name_of` gives for member `num` (alias 0 English, 1 Russian), in platform memory;
/// null when unknown.
///
/// # Safety
/// `this` is null or base 1 of a live object.
pub(crate) unsafe fn name(
    this: *mut c_void,
    num: c_long,
    alias: c_long,
    name_of: fn(usize, usize) -> Option<&'static str>,
) -> *const u16 {
    let body = |obj: &Object| match index(num)
        .zip(index(alias))
        .and_then(|(n, a)| name_of(n, a))
    {
        Some(name) => alloc_name(obj, name).map(<*mut u16>::cast_const),
        None => Ok(std::ptr::null()),
    };
    // SAFETY: forwarded contract.
    unsafe { enter(this, std::ptr::null(), body) }
}
