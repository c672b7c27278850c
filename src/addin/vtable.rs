//! What the four interface vtables have in common: the Itanium prefix, the destructor slots,
//! and the vptr value that the object stores.
//!
//! A vtable as the host's C++ compiler expects it, for base number `k` (0..=3):
//!
//! ```text
//! Linux/macOS (Itanium C++ ABI)            Windows (MSVC)
//! [-2] offset_to_top = -k * word           (no prefix used by the platform)
//! [-1] typeinfo = null
//! [ 0] D1 complete-object dtor  <- vptr    [0] deleting dtor (this, flags)  <- vptr
//! [ 1] D0 deleting dtor                    [1..] methods
//! [ 2..] methods
//! ```
//!
//! The platform only calls through the vptrs and never uses RTTI, but a real compiler emits the
//! prefix, so we do too. The destructors are real functions because OneScript deletes objects
//! through the virtual destructor instead of calling `DestroyObject`; every path frees an
//! object at most once (see `object`).
#![allow(unsafe_code)]

#[cfg(windows)]
use core::ffi::c_uint;
use core::ffi::c_void;

use super::guard;
use super::object;

/// One interface's vtable: prefix, destructor slots, then the interface's methods `T`.
#[repr(C)]
pub(crate) struct Vtable<T: 'static> {
    #[cfg(not(windows))]
    offset_to_top: isize,
    #[cfg(not(windows))]
    typeinfo: usize,
    dtors: Dtors,
    methods: T,
}

impl<T: 'static> Vtable<T> {
    /// The vtable of base number `BASE` of the object, with `methods` after the destructors.
    pub(crate) const fn new<const BASE: usize>(methods: T) -> Vtable<T> {
        Vtable {
            #[cfg(not(windows))]
            offset_to_top: -((BASE * size_of::<usize>()) as isize),
            #[cfg(not(windows))]
            typeinfo: 0,
            dtors: Dtors::for_base::<BASE>(),
            methods,
        }
    }

    /// The value a vptr holds: the address of slot 0 (the first destructor), not of the prefix.
    /// Derived from the whole vtable (not from the `dtors` field) so that the pointer may reach
    /// the prefix before and the methods after.
    pub(crate) fn vptr(&'static self) -> *const c_void {
        std::ptr::from_ref(self)
            .cast::<usize>()
            .wrapping_add(PREFIX_WORDS)
            .cast()
    }
}

/// Words before slot 0: the Itanium `offset_to_top` and `typeinfo`; none on Windows.
const PREFIX_WORDS: usize = if cfg!(windows) { 0 } else { 2 };

/// The destructor slots of one vtable.
#[repr(C)]
struct Dtors {
    #[cfg(not(windows))]
    complete: unsafe extern "C" fn(*mut c_void),
    #[cfg(not(windows))]
    deleting: unsafe extern "C" fn(*mut c_void),
    #[cfg(windows)]
    deleting: MsvcDeletingDtor,
}

/// MSVC's scalar deleting destructor: `void* __thiscall (unsigned flags)` on x86 (`this` in
/// ECX), the one x64 convention elsewhere; bit 0 of `flags` = free the memory.
#[cfg(all(windows, target_arch = "x86"))]
type MsvcDeletingDtor = unsafe extern "thiscall" fn(*mut c_void, c_uint) -> *mut c_void;
#[cfg(all(windows, not(target_arch = "x86")))]
type MsvcDeletingDtor = unsafe extern "system" fn(*mut c_void, c_uint) -> *mut c_void;

impl Dtors {
    const fn for_base<const BASE: usize>() -> Dtors {
        Dtors {
            #[cfg(not(windows))]
            complete: complete_dtor::<BASE>,
            #[cfg(not(windows))]
            deleting: deleting_dtor::<BASE>,
            #[cfg(windows)]
            deleting: msvc_deleting_dtor::<BASE>,
        }
    }
}

/// Itanium D1 (complete-object destructor): ends the object's life without freeing its memory.
/// Only a host that manages the storage itself would call it; the memory then stays allocated.
///
/// # Safety
/// `this` is null or base `BASE` of an object from `GetClassObject` (checked against the live
/// set before use).
#[cfg(not(windows))]
unsafe extern "C" fn complete_dtor<const BASE: usize>(this: *mut c_void) {
    guard::or_fail((), || {
        // SAFETY: forwarded contract; the object is looked up in the live set before use.
        unsafe { object::drop_without_free(object::from_base::<BASE>(this)) };
    });
}

/// Itanium D0 (deleting destructor, what C++ `delete p` calls): drops and frees.
///
/// # Safety
/// As [`complete_dtor`].
#[cfg(not(windows))]
unsafe extern "C" fn deleting_dtor<const BASE: usize>(this: *mut c_void) {
    guard::or_fail((), || {
        // SAFETY: forwarded contract; the object is looked up in the live set before use.
        unsafe { object::destroy(object::from_base::<BASE>(this)) };
    });
}

/// The body of MSVC's deleting destructor; returns `this` as MSVC's does.
///
/// # Safety
/// As [`complete_dtor`].
#[cfg(windows)]
unsafe fn msvc_dtor_body<const BASE: usize>(this: *mut c_void, flags: c_uint) -> *mut c_void {
    guard::or_fail((), || {
        let obj = object::from_base::<BASE>(this);
        if flags & 1 != 0 {
            // SAFETY: forwarded contract; looked up in the live set before use.
            unsafe { object::destroy(obj) };
        } else {
            // SAFETY: as above.
            unsafe { object::drop_without_free(obj) };
        }
    });
    this
}

/// MSVC deleting destructor, x86: `thiscall`.
///
/// # Safety
/// As [`complete_dtor`].
#[cfg(all(windows, target_arch = "x86"))]
unsafe extern "thiscall" fn msvc_deleting_dtor<const BASE: usize>(
    this: *mut c_void,
    flags: c_uint,
) -> *mut c_void {
    // SAFETY: forwarded contract.
    unsafe { msvc_dtor_body::<BASE>(this, flags) }
}

/// MSVC deleting destructor, x64/ARM64: the platform's one convention.
///
/// # Safety
/// As [`complete_dtor`].
#[cfg(all(windows, not(target_arch = "x86")))]
unsafe extern "system" fn msvc_deleting_dtor<const BASE: usize>(
    this: *mut c_void,
    flags: c_uint,
) -> *mut c_void {
    // SAFETY: forwarded contract.
    unsafe { msvc_dtor_body::<BASE>(this, flags) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C)]
    struct Two {
        a: usize,
        b: usize,
    }

    static V1: Vtable<Two> = Vtable::new::<1>(Two { a: 11, b: 22 });
    #[cfg(not(windows))]
    static V3: Vtable<Two> = Vtable::new::<3>(Two { a: 0, b: 0 });

    #[test]
    fn vptr_points_at_the_first_destructor_and_methods_follow() {
        let words = V1.vptr().cast::<usize>();
        let dtor_slots = if cfg!(windows) { 1 } else { 2 };
        // SAFETY: reads within the static vtable: dtor slots then the two method words.
        unsafe {
            assert_eq!(*words.add(dtor_slots), 11);
            assert_eq!(*words.add(dtor_slots + 1), 22);
        }
    }

    #[cfg(not(windows))]
    #[test]
    fn itanium_prefix() {
        let w = size_of::<usize>() as isize;
        let words = V3.vptr().cast::<isize>();
        // SAFETY: the two prefix words sit right before slot 0 inside the static.
        unsafe {
            assert_eq!(*words.sub(2), -3 * w);
            assert_eq!(*words.sub(1), 0);
        }
        assert_eq!(V1.offset_to_top, -w);
    }

    #[test]
    fn prefix_words_match_the_layout() {
        assert_eq!(
            std::mem::offset_of!(Vtable<Two>, dtors),
            PREFIX_WORDS * size_of::<usize>()
        );
    }
}
