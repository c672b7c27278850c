//! Fuzzing entry for the raw `tVariant` conversions, compiled only under `--cfg fuzzing` (what
//! `cargo fuzz` builds with), so that the shipped library never contains it.
//!
//! The fuzz target (`fuzz/fuzz_targets/addin_variant.rs`) cannot build a `tVariant` itself: the
//! type and the entry points are private to this module, and every `unsafe` stays here. It
//! describes what 1C would pass with the safe [`RawArg`] and [`Op`] values; [`run`] turns them
//! into real variants (strings and blobs in the fake platform allocator, with the lengths the
//! platform guarantees, or null pointers with any length), calls the object's real vtable
//! entries (SetPropVal, GetPropVal, CallAsProc, CallAsFunc, GetParamDefValue, name lookups)
//! between a real `Init` and `Done`, frees what 1C would free, and reports leaks and bad frees.
//!
//! What it cannot model: a pointer whose length lies about the buffer (1C never does that, and
//! reading it would be undefined behaviour in any add-in).
#![allow(unsafe_code)]

use core::ffi::{c_long, c_void};
use std::ptr;

use super::connection::fake::FakeConnection;
use super::memory::fake::FakeMemoryManager;
use super::object::{self, LANGUAGE_EXTENDER};
use super::variant::{vt, Counted, TVariant};
use super::{exports, extender, init_done, methods};
use crate::component::{Method, METHODS};

/// One argument or property value as 1C could pass it.
#[derive(Debug, Clone)]
pub enum RawArg {
    /// Any `vt` (also unknown ones) with the union's first 8 bytes set from `bits`; string and
    /// blob types get a null pointer and `len` as their length.
    Raw {
        /// The VTYPE.
        vt: u16,
        /// The payload bits (or the length, for pointer types).
        bits: u64,
    },
    /// `VTYPE_PWSTR` with these UTF-16 units (any, also unpaired surrogates and NULs).
    Wide(Vec<u16>),
    /// `VTYPE_PSTR` with these bytes (any, also invalid UTF-8).
    Narrow(Vec<u8>),
    /// `VTYPE_BLOB` with these bytes.
    Blob(Vec<u8>),
}

/// One call 1C could make on the object.
#[derive(Debug, Clone)]
pub enum Op {
    /// `SetPropVal(index, value)`.
    SetProp(i64, RawArg),
    /// `GetPropVal(index)`.
    GetProp(i64),
    /// `CallAsFunc` (when `func`) or `CallAsProc` of method `index` with exactly these
    /// arguments (the count passed is their number).
    Call {
        /// The method index (any, also out of range).
        index: i64,
        /// The arguments.
        args: Vec<RawArg>,
        /// CallAsFunc rather than CallAsProc.
        func: bool,
    },
    /// `GetParamDefValue(method, param)`.
    ParamDefault(i64, i64),
    /// `GetPropName` and `GetMethodName`.
    Names(i64, i64),
}

/// What went wrong with the platform's memory during a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Blocks of the platform allocator still live after everything 1C frees was freed.
    pub leaked_blocks: usize,
    /// Frees of pointers the allocator did not hand out (or freed twice).
    pub bad_frees: usize,
    /// Panics caught by the entry guard (each became an `internal error` AddError).
    pub panics: usize,
}

/// Runs `ops` on a fresh object (fake platform, real entry points) and destroys it.
///
/// `Connect` is skipped (it would open a network connection), and a `GetEvent` wait is cut to
/// zero (it could wait up to a day); everything else goes through as given.
pub fn run(ops: &[Op]) -> Outcome {
    let mm = FakeMemoryManager::new();
    let conn = FakeConnection::new(0);
    let obj = exports::new_object();
    let mm_raw: *mut c_void = ptr::from_ref(&*mm).cast_mut().cast();
    // SAFETY: `obj` is live until `destroy` below; the fakes outlive it.
    unsafe {
        init_done::set_mem_manager(obj, mm_raw);
        init_done::init(obj, conn.as_raw());
    }
    let this = obj
        .cast::<u8>()
        .wrapping_add(LANGUAGE_EXTENDER * size_of::<usize>())
        .cast::<c_void>();
    for op in ops {
        // SAFETY: `this` is base 1 of the live object; every variant comes from `variant`.
        unsafe { one(this, &mm, op) };
    }
    // SAFETY: the object is live and no reference to it remains.
    unsafe {
        init_done::done(obj);
        object::destroy(obj.cast());
    }
    let leaked_blocks = mm.live_count();
    let bad_frees = *mm.bad_frees.lock().unwrap_or_else(|e| e.into_inner());
    let panics = conn
        .log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .errors
        .iter()
        .filter(|e| e.2.starts_with("internal error"))
        .count();
    Outcome {
        leaked_blocks,
        bad_frees,
        panics,
    }
}

/// Builds the variant for `arg`; strings and blobs are allocated with the fake platform
/// allocator, as 1C allocates what it passes.
fn variant(mm: &FakeMemoryManager, arg: &RawArg) -> TVariant {
    // SAFETY: all-zero bytes are a valid TVariant (VTYPE_EMPTY).
    let mut v: TVariant = unsafe { std::mem::zeroed() };
    match arg {
        RawArg::Raw { vt: kind, bits } => {
            v.vt = *kind;
            if matches!(*kind, vt::PWSTR | vt::PSTR | vt::BLOB) {
                // A null pointer: the only lie the conversion must survive.
                v.value.str = Counted {
                    ptr: ptr::null_mut(),
                    len: *bits as u32,
                };
            } else {
                v.value.u64 = *bits;
            }
        }
        RawArg::Wide(units) => {
            let p = alloc_copy(mm, units.as_ptr().cast(), units.len() * 2);
            v.vt = vt::PWSTR;
            v.value.wstr = Counted {
                ptr: p.cast(),
                len: units.len() as u32,
            };
        }
        RawArg::Narrow(bytes) | RawArg::Blob(bytes) => {
            let p = alloc_copy(mm, bytes.as_ptr(), bytes.len());
            v.vt = if matches!(arg, RawArg::Blob(_)) {
                vt::BLOB
            } else {
                vt::PSTR
            };
            v.value.str = Counted {
                ptr: p,
                len: bytes.len() as u32,
            };
        }
    }
    v
}

/// A platform block holding a copy of `len` bytes at `src` (null when `len` is 0).
fn alloc_copy(mm: &FakeMemoryManager, src: *const u8, len: usize) -> *mut u8 {
    if len == 0 {
        return ptr::null_mut();
    }
    match mm.handle().alloc(len) {
        Some(p) => {
            // SAFETY: `p` has room for `len` bytes; `src` holds `len` bytes (caller).
            unsafe { ptr::copy_nonoverlapping(src, p.as_ptr(), len) };
            p.as_ptr()
        }
        None => ptr::null_mut(),
    }
}

/// Frees the string or blob of `v` as 1C does after a call, and empties it.
fn release(mm: &FakeMemoryManager, v: &mut TVariant) {
    if matches!(v.vt, vt::PWSTR | vt::PSTR | vt::BLOB) {
        // SAFETY: `vt` says the pointer member is live.
        let p = unsafe { v.value.str.ptr };
        if !p.is_null() {
            // SAFETY: a block of this allocator (or a bad free, which the fake counts).
            unsafe { mm.handle().free(p.cast()) };
        }
    }
    // SAFETY: all-zero bytes are a valid TVariant.
    *v = unsafe { std::mem::zeroed() };
}

/// Whether `index` names `method`.
fn is(index: i64, method: Method) -> bool {
    usize::try_from(index)
        .ok()
        .and_then(|i| METHODS.get(i))
        .is_some_and(|(m, _)| *m == method)
}

/// One call.
///
/// # Safety
/// `this` is base 1 of a live object whose memory manager is `mm`.
unsafe fn one(this: *mut c_void, mm: &FakeMemoryManager, op: &Op) {
    match op {
        Op::SetProp(index, arg) => {
            let mut v = variant(mm, arg);
            // SAFETY: live object (caller); `v` is a valid variant.
            unsafe { extender::set_prop_val(this, *index as c_long, &mut v) };
            release(mm, &mut v);
        }
        Op::GetProp(index) => {
            // SAFETY: all-zero bytes are a valid TVariant.
            let mut v: TVariant = unsafe { std::mem::zeroed() };
            // SAFETY: live object; `v` is writable.
            unsafe { extender::get_prop_val(this, *index as c_long, &mut v) };
            release(mm, &mut v);
        }
        Op::Call { index, args, func } => {
            if is(*index, Method::Connect) {
                return;
            }
            let mut params: Vec<TVariant> = args.iter().map(|a| variant(mm, a)).collect();
            if is(*index, Method::GetEvent) {
                if let Some(wait) = params.get_mut(2) {
                    release(mm, wait);
                }
            }
            let p = if params.is_empty() {
                ptr::null_mut()
            } else {
                params.as_mut_ptr()
            };
            let count = params.len() as c_long;
            // SAFETY: all-zero bytes are a valid TVariant.
            let mut ret: TVariant = unsafe { std::mem::zeroed() };
            // SAFETY: live object; `p` holds `count` valid variants (or is null for none).
            unsafe {
                if *func {
                    methods::call_as_func(this, *index as c_long, &mut ret, p, count);
                } else {
                    methods::call_as_proc(this, *index as c_long, p, count);
                }
            }
            for v in params.iter_mut().chain(std::iter::once(&mut ret)) {
                release(mm, v);
            }
        }
        Op::ParamDefault(method, param) => {
            // SAFETY: all-zero bytes are a valid TVariant.
            let mut v: TVariant = unsafe { std::mem::zeroed() };
            // SAFETY: live object; `v` is writable.
            unsafe {
                methods::get_param_def_value(this, *method as c_long, *param as c_long, &mut v)
            };
            release(mm, &mut v);
        }
        Op::Names(index, alias) => {
            // SAFETY: live object.
            let names = unsafe {
                [
                    extender::get_prop_name(this, *index as c_long, *alias as c_long),
                    methods::get_method_name(this, *index as c_long, *alias as c_long),
                ]
            };
            for name in names {
                if !name.is_null() {
                    // SAFETY: a block of this allocator, owned by 1C now.
                    unsafe { mm.handle().free(name.cast_mut().cast()) };
                }
            }
        }
    }
}
