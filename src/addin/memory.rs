//! The platform's `IMemoryManager`: the only allocator for memory that 1C frees (returned
//! strings, blobs, names, out-parameters).
//!
//! C++ interface: `[~dtor(s)], bool AllocMemory(void** p, unsigned long bytes),
//! void FreeMemory(void** p)`: slots 2 and 3 behind Itanium's two destructor slots, 1 and 2
//! behind MSVC's one. `unsigned long` is 32 bits on Windows and pointer-sized on LP64, which is
//! exactly `core::ffi::c_ulong`. Used only on the 1C thread, inside a platform call.
#![allow(unsafe_code)]

use core::ffi::{c_ulong, c_void};
use std::ptr::{self, NonNull};

use crate::wide;

use super::vtable::Dtors;

type AllocFn = unsafe extern "system" fn(*mut RawMemoryManager, *mut *mut c_void, c_ulong) -> bool;
type FreeFn = unsafe extern "system" fn(*mut RawMemoryManager, *mut *mut c_void);

/// The vtable of `IMemoryManager` as the host's compiler lays it out. The destructor slots are
/// never called, so they are plain words.
#[repr(C)]
pub(crate) struct MemoryManagerVtbl {
    _dtors: Dtors<usize>,
    alloc: Option<AllocFn>,
    free: Option<FreeFn>,
}

/// An `IMemoryManager` object: just its vptr, as far as we are concerned.
#[repr(C)]
pub(crate) struct RawMemoryManager {
    vtbl: *const MemoryManagerVtbl,
}

/// A handle on the platform's memory manager.
///
/// Invariant: the pointer was given by `setMemManager` and is valid until `Done`; the object
/// keeps it in its state only between those two calls and copies it only for the length of one
/// platform call, on the 1C thread. Under that invariant the methods are safe to call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MemoryManager(NonNull<RawMemoryManager>);

impl MemoryManager {
    /// Wraps the pointer from `setMemManager`; `None` for null.
    ///
    /// # Safety
    /// `p` is null or a valid `IMemoryManager*` that stays valid for as long as the returned
    /// value (or any copy of it) is used.
    pub(crate) unsafe fn from_raw(p: *mut c_void) -> Option<MemoryManager> {
        NonNull::new(p.cast::<RawMemoryManager>()).map(MemoryManager)
    }

    /// `AllocMemory(bytes)`. `None` when the size does not fit `unsigned long`, the slot is
    /// null, the platform says false, or it hands back a null pointer.
    pub(crate) fn alloc(self, bytes: usize) -> Option<NonNull<u8>> {
        let size = c_ulong::try_from(bytes).ok()?;
        let this = self.0.as_ptr();
        // SAFETY: `this` is a live IMemoryManager (type invariant); reading its vptr and one slot
        // reads only that slot of the host's vtable.
        let alloc = unsafe { (*(*this).vtbl).alloc }?;
        let mut out: *mut c_void = ptr::null_mut();
        // SAFETY: the slot has the kit's signature; `out` is a valid `void**` for the call.
        let ok = unsafe { alloc(this, &mut out, size) };
        if ok {
            NonNull::new(out.cast::<u8>())
        } else {
            None
        }
    }

    /// `FreeMemory(&p)`. Null is ignored.
    ///
    /// # Safety
    /// `p` is null or came from `AllocMemory` of this platform (this or an earlier manager of
    /// the same process: 1C has one) and is not used afterwards.
    pub(crate) unsafe fn free(self, p: *mut c_void) {
        if p.is_null() {
            return;
        }
        let this = self.0.as_ptr();
        // SAFETY: `this` is a live IMemoryManager (type invariant); reads one slot.
        let Some(free) = (unsafe { (*(*this).vtbl).free }) else {
            return;
        };
        let mut slot = p;
        // SAFETY: the slot has the kit's signature; `p` is platform memory (caller).
        unsafe { free(this, &mut slot) };
    }

    /// Copies `s` into platform memory as UTF-16 plus a NUL, and returns the pointer and the
    /// length in units **without** the NUL (what `wstrLen` wants).
    pub(crate) fn alloc_wide(self, s: &str) -> Result<(NonNull<u16>, u32), String> {
        let units = wide::to_wide_nul(s);
        let len = u32::try_from(units.len() - 1).map_err(|_| {
            format!(
                "a string of {} UTF-16 units is too long for 1C",
                units.len() - 1
            )
        })?;
        let bytes = units.len() * 2;
        let p = self.alloc(bytes).ok_or_else(|| alloc_failed(bytes))?;
        // SAFETY: `p` points to `bytes` writable bytes just allocated for us; the source is a live
        // Vec of exactly `bytes` bytes; byte copies need no alignment; the regions are distinct.
        unsafe { ptr::copy_nonoverlapping(units.as_ptr().cast::<u8>(), p.as_ptr(), bytes) };
        Ok((p.cast::<u16>(), len))
    }

    /// Copies `b` into platform memory. An empty slice allocates nothing: `(null, 0)`.
    pub(crate) fn alloc_bytes(self, b: &[u8]) -> Result<(*mut u8, u32), String> {
        let len =
            u32::try_from(b.len()).map_err(|_| format!("{} bytes are too many for 1C", b.len()))?;
        if b.is_empty() {
            return Ok((ptr::null_mut(), 0));
        }
        let p = self.alloc(b.len()).ok_or_else(|| alloc_failed(b.len()))?;
        // SAFETY: `p` has `b.len()` writable bytes just allocated for us; distinct regions.
        unsafe { ptr::copy_nonoverlapping(b.as_ptr(), p.as_ptr(), b.len()) };
        Ok((p.as_ptr(), len))
    }
}

fn alloc_failed(bytes: usize) -> String {
    format!("the platform could not allocate {bytes} bytes (IMemoryManager::AllocMemory)")
}

/// A memory manager written in Rust, for unit tests of the code that returns memory to 1C: it
/// tracks live allocations so tests can check frees and leaks.
#[cfg(any(test, fuzzing))]
pub(crate) mod fake {
    use super::super::vtable::UNUSED_DTORS;
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// An `IMemoryManager` whose allocations are Rust `Vec`s kept in a map.
    #[repr(C)]
    pub(crate) struct FakeMemoryManager {
        base: RawMemoryManager,
        /// Live allocations: address → buffer.
        pub(crate) live: Mutex<HashMap<usize, Vec<u8>>>,
        /// Frees of pointers that were not live.
        pub(crate) bad_frees: Mutex<usize>,
        /// When set, AllocMemory says false.
        pub(crate) refuse: std::sync::atomic::AtomicBool,
    }

    static VTBL: MemoryManagerVtbl = MemoryManagerVtbl {
        _dtors: UNUSED_DTORS,
        alloc: Some(fake_alloc),
        free: Some(fake_free),
    };

    unsafe extern "system" fn fake_alloc(
        this: *mut RawMemoryManager,
        out: *mut *mut c_void,
        n: c_ulong,
    ) -> bool {
        // SAFETY: tests only pass a FakeMemoryManager (base at offset 0, repr(C)).
        let me = unsafe { &*this.cast::<FakeMemoryManager>() };
        if me.refuse.load(std::sync::atomic::Ordering::SeqCst) {
            return false;
        }
        let mut buf = vec![0xAAu8; n as usize + 1];
        let p = buf.as_mut_ptr();
        me.live.lock().unwrap().insert(p as usize, buf);
        // SAFETY: `out` is the caller's valid `void**`.
        unsafe { *out = p.cast() };
        true
    }

    unsafe extern "system" fn fake_free(this: *mut RawMemoryManager, p: *mut *mut c_void) {
        // SAFETY: as in `fake_alloc`.
        let me = unsafe { &*this.cast::<FakeMemoryManager>() };
        // SAFETY: `p` is the caller's valid `void**`.
        let addr = unsafe { *p } as usize;
        if me.live.lock().unwrap().remove(&addr).is_none() {
            *me.bad_frees.lock().unwrap() += 1;
        }
        // SAFETY: as above.
        unsafe { *p = ptr::null_mut() };
    }

    impl FakeMemoryManager {
        pub(crate) fn new() -> Box<FakeMemoryManager> {
            Box::new(FakeMemoryManager {
                base: RawMemoryManager { vtbl: &VTBL },
                live: Mutex::new(HashMap::new()),
                bad_frees: Mutex::new(0),
                refuse: std::sync::atomic::AtomicBool::new(false),
            })
        }

        pub(crate) fn handle(&self) -> MemoryManager {
            MemoryManager(NonNull::from(&self.base))
        }

        pub(crate) fn live_count(&self) -> usize {
            self.live.lock().unwrap().len()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::FakeMemoryManager;

    #[test]
    fn wide_has_nul_and_len_without_it() {
        let mm = FakeMemoryManager::new();
        let (p, len) = mm.handle().alloc_wide("Ёж").unwrap();
        assert_eq!(len, 2);
        // SAFETY: 3 units were allocated and written.
        let units = unsafe { std::slice::from_raw_parts(p.as_ptr(), 3) };
        assert_eq!(units, &[0x401, 0x436, 0]);
        // SAFETY: allocated by this manager.
        unsafe { mm.handle().free(p.as_ptr().cast()) };
        assert_eq!(mm.live_count(), 0);
        assert_eq!(*mm.bad_frees.lock().unwrap(), 0);
    }

    #[test]
    fn empty_blob_allocates_nothing() {
        let mm = FakeMemoryManager::new();
        let (p, len) = mm.handle().alloc_bytes(&[]).unwrap();
        assert!(p.is_null());
        assert_eq!(len, 0);
        assert_eq!(mm.live_count(), 0);
    }

    #[test]
    fn refusal_is_an_error() {
        let mm = FakeMemoryManager::new();
        mm.refuse.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(mm.handle().alloc_wide("x").is_err());
        assert!(mm.handle().alloc_bytes(&[1]).is_err());
    }
}
