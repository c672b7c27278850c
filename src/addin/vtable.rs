//! The shape of a C++ vtable as the host's compiler lays it out: the Itanium prefix, the
//! destructor slots, then the interface's methods. Pure layout: which functions fill the slots
//! is decided by the files above (`object` for our destructors, each interface for its methods).
//!
//! A vtable of our object, for base number `k` (0..=3):
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
//! prefix, so we do too. The platform's own interfaces (`IMemoryManager`, `IAddInDefBase`) start
//! with the same destructor slots, which we only skip ([`Dtors<usize>`]).

#[cfg(windows)]
use core::ffi::c_uint;
use core::ffi::c_void;

/// One interface's vtable: prefix, destructor slots, then the interface's methods `T`.
#[repr(C)]
pub(crate) struct Vtable<T: 'static> {
    #[cfg(not(windows))]
    offset_to_top: isize,
    #[cfg(not(windows))]
    typeinfo: usize,
    dtors: Dtors<DtorFn>,
    methods: T,
}

impl<T: 'static> Vtable<T> {
    /// The vtable of base number `BASE` of an object: `dtors`, then `methods`.
    pub(crate) const fn new<const BASE: usize>(dtors: Dtors<DtorFn>, methods: T) -> Vtable<T> {
        Vtable {
            #[cfg(not(windows))]
            offset_to_top: -((BASE * size_of::<usize>()) as isize),
            #[cfg(not(windows))]
            typeinfo: 0,
            dtors,
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

/// The destructor slots that start the vtable of a C++ class with a virtual destructor:
/// Itanium's complete-object (D1) and deleting (D0) destructors, MSVC's one scalar deleting
/// destructor. `D` is [`DtorFn`] in our vtables and `usize` in the platform's, whose
/// destructors we never call.
#[repr(C)]
pub(crate) struct Dtors<D> {
    /// Itanium D1: ends the object's life without freeing its memory.
    #[cfg(not(windows))]
    pub(crate) complete: D,
    /// Itanium D0 / MSVC's deleting destructor: what C++ `delete p` calls.
    pub(crate) deleting: D,
}

/// How many words the destructor slots take: two on Itanium, one on MSVC.
#[cfg(test)]
pub(crate) const DTOR_SLOTS: usize = size_of::<Dtors<usize>>() / size_of::<usize>();

/// The destructor slots of a platform vtable in a fake of the platform (tests, fuzzing).
#[cfg(any(test, fuzzing))]
pub(crate) const UNUSED_DTORS: Dtors<usize> = Dtors {
    #[cfg(not(windows))]
    complete: 0,
    deleting: 0,
};

/// A destructor slot of our vtables. Itanium: `void (this)`, for both D1 and D0.
#[cfg(not(windows))]
pub(crate) type DtorFn = unsafe extern "C" fn(*mut c_void);

/// MSVC's scalar deleting destructor: `void* __thiscall (unsigned flags)` on x86 (`this` in
/// ECX); bit 0 of `flags` = free the memory.
#[cfg(all(windows, target_arch = "x86"))]
pub(crate) type DtorFn = unsafe extern "thiscall" fn(*mut c_void, c_uint) -> *mut c_void;
/// MSVC's scalar deleting destructor: the one x64/ARM64 convention; bit 0 of `flags` = free
/// the memory.
#[cfg(all(windows, not(target_arch = "x86")))]
pub(crate) type DtorFn = unsafe extern "system" fn(*mut c_void, c_uint) -> *mut c_void;

#[cfg(test)]
#[allow(unsafe_code)]
mod tests {
    use super::*;

    #[repr(C)]
    struct Two {
        a: usize,
        b: usize,
    }

    #[cfg(not(windows))]
    unsafe extern "C" fn nothing(_: *mut c_void) {}
    #[cfg(windows)]
    unsafe extern "system" fn nothing(this: *mut c_void, _: c_uint) -> *mut c_void {
        this
    }

    const DTORS: Dtors<DtorFn> = Dtors {
        #[cfg(not(windows))]
        complete: nothing,
        deleting: nothing,
    };

    static V1: Vtable<Two> = Vtable::new::<1>(DTORS, Two { a: 11, b: 22 });
    #[cfg(not(windows))]
    static V3: Vtable<Two> = Vtable::new::<3>(DTORS, Two { a: 0, b: 0 });

    #[test]
    fn vptr_points_at_the_first_destructor_and_methods_follow() {
        let words = V1.vptr().cast::<usize>();
        assert_eq!(DTOR_SLOTS, if cfg!(windows) { 1 } else { 2 });
        // SAFETY: reads within the static vtable: dtor slots then the two method words.
        unsafe {
            assert_eq!(*words.add(DTOR_SLOTS), 11);
            assert_eq!(*words.add(DTOR_SLOTS + 1), 22);
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
        assert_eq!(size_of::<Dtors<DtorFn>>(), size_of::<Dtors<usize>>());
    }
}
