//! `tVariant`: its per-target layout (checked at compile time) and the conversions between a
//! raw variant and an owned [`Value`].
//!
//! `struct _tVariant { union { … struct tm tmVal; … }; uint32_t cbElements; TYPEVAR vt; }`
//! with `TYPEVAR = unsigned short`. `struct tm` is the largest union member, and its size is
//! what differs between targets (native-api.md §3):
//!
//! | target | size | `cbElements` | `vt` |
//! |---|---|---|---|
//! | Linux/macOS 64-bit | 64 | 56 | 60 |
//! | Linux i686 | 52 | 44 | 48 |
//! | Windows x64 and x86 (MSVC) | 48 | 40 | 44 |
//!
//! Reading: the payload named by `vt` becomes a [`Value`]; strings are read by their length
//! field, never by scanning for a NUL. Writing: strings and blobs go into memory from the
//! platform's `IMemoryManager` (1C frees them), `wstrLen` excludes the NUL that is written
//! after the text. In/out parameters are *replaced*: the old PWSTR/PSTR/BLOB buffer is freed
//! with `FreeMemory` only after the new payload has been allocated.
#![allow(unsafe_code)]

use core::ffi::c_int;
#[cfg(not(windows))]
use core::ffi::{c_char, c_long};
use std::mem::{offset_of, size_of};
use std::ptr::{self, NonNull};

use crate::value::Value;

use super::memory::MemoryManager;
use super::wstr;

/// `enum ENUMVAR` values used here (the kit's `VTYPE_*`).
#[allow(missing_docs)]
pub(crate) mod vt {
    pub(crate) const EMPTY: u16 = 0;
    pub(crate) const NULL: u16 = 1;
    pub(crate) const I2: u16 = 2;
    pub(crate) const I4: u16 = 3;
    pub(crate) const R4: u16 = 4;
    pub(crate) const R8: u16 = 5;
    pub(crate) const PSTR: u16 = 8;
    pub(crate) const ERROR: u16 = 10;
    pub(crate) const BOOL: u16 = 11;
    pub(crate) const I1: u16 = 13;
    pub(crate) const UI1: u16 = 14;
    pub(crate) const UI2: u16 = 15;
    pub(crate) const UI4: u16 = 16;
    pub(crate) const I8: u16 = 17;
    pub(crate) const UI8: u16 = 18;
    pub(crate) const INT: u16 = 19;
    pub(crate) const UINT: u16 = 20;
    pub(crate) const PWSTR: u16 = 22;
    pub(crate) const BLOB: u16 = 23;
}

/// C's `struct tm` as the host's compiler lays it out: nine `int`s, plus `long tm_gmtoff` and
/// `const char* tm_zone` on glibc/macOS. Only its size matters here (dates are not converted).
#[repr(C)]
#[derive(Clone, Copy)]
struct Tm {
    fields: [c_int; 9],
    #[cfg(not(windows))]
    gmtoff: c_long,
    #[cfg(not(windows))]
    zone: *const c_char,
}

/// `{ T* ptr; uint32_t len; }`: `pstrVal/strLen` (bytes) and `pwstrVal/wstrLen` (UTF-16 units).
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct Counted<T> {
    pub(crate) ptr: *mut T,
    pub(crate) len: u32,
}

/// The anonymous union of `tVariant`. MSVC aligns `double`/`int64_t` members to 8 on x86 too;
/// `align(8)` makes that explicit for Windows instead of relying on Rust's `u64` alignment.
#[repr(C)]
#[cfg_attr(windows, repr(align(8)))]
#[derive(Clone, Copy)]
pub(crate) union Payload {
    pub(crate) i8: i8,
    pub(crate) i16: i16,
    pub(crate) i32: i32,
    pub(crate) i64: i64,
    pub(crate) u8: u8,
    pub(crate) u16: u16,
    pub(crate) u32: u32,
    pub(crate) u64: u64,
    pub(crate) f32: f32,
    pub(crate) f64: f64,
    /// `bool bVal`, read as a byte so that a value other than 0/1 is not undefined behaviour.
    pub(crate) bool: u8,
    pub(crate) str: Counted<u8>,
    pub(crate) wstr: Counted<u16>,
    /// Never read or written: it only gives the union its size.
    #[allow(dead_code)]
    tm: Tm,
}

/// `tVariant`.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct TVariant {
    pub(crate) value: Payload,
    pub(crate) cb_elements: u32,
    pub(crate) vt: u16,
}

#[cfg(all(not(windows), target_pointer_width = "64"))]
const _: () = {
    assert!(size_of::<TVariant>() == 64);
    assert!(offset_of!(TVariant, cb_elements) == 56);
    assert!(offset_of!(TVariant, vt) == 60);
};
#[cfg(all(not(windows), target_arch = "x86"))]
const _: () = {
    assert!(size_of::<TVariant>() == 52);
    assert!(offset_of!(TVariant, cb_elements) == 44);
    assert!(offset_of!(TVariant, vt) == 48);
};
#[cfg(windows)]
const _: () = {
    assert!(size_of::<TVariant>() == 48);
    assert!(offset_of!(TVariant, cb_elements) == 40);
    assert!(offset_of!(TVariant, vt) == 44);
};
// On every target: the union starts the struct and the string length follows its pointer.
const _: () = {
    assert!(offset_of!(TVariant, value) == 0);
    assert!(offset_of!(Counted<u16>, len) == size_of::<*const u16>());
};

/// Why a variant could not be read or written; the text goes to `AddError` and `LastError`.
pub(crate) type Error = String;

fn no_memory_manager() -> Error {
    "the platform has not provided a memory manager (setMemManager), so strings and binary data cannot be returned"
        .to_owned()
}

fn number(n: i64) -> Value {
    match i32::try_from(n) {
        Ok(i) => Value::I32(i),
        Err(_) => Value::F64(n as f64),
    }
}

/// Reads a variant the platform passed in (an argument or a property value).
///
/// # Safety
/// `v` points to a readable `tVariant` whose payload matches its `vt` (for PWSTR/PSTR/BLOB: the
/// pointer is null or addresses `len` readable units/bytes).
pub(crate) unsafe fn read(v: *const TVariant) -> Result<Value, Error> {
    // SAFETY: `v` is readable (caller); `vt` and the union are plain data.
    let (kind, p) = unsafe { ((*v).vt, (*v).value) };
    // SAFETY: for every union read below, the caller guarantees that the member selected by
    // `kind` is the one the platform wrote; all members are plain integers/floats/pointers.
    let value = unsafe {
        match kind {
            vt::EMPTY | vt::NULL => Value::Empty,
            vt::BOOL => Value::Bool(p.bool != 0),
            vt::I1 => Value::I32(i32::from(p.i8)),
            vt::I2 => Value::I32(i32::from(p.i16)),
            vt::I4 | vt::INT | vt::ERROR => Value::I32(p.i32),
            vt::UI1 => Value::I32(i32::from(p.u8)),
            vt::UI2 => Value::I32(i32::from(p.u16)),
            vt::UI4 | vt::UINT => number(i64::from(p.u32)),
            vt::I8 => number(p.i64),
            vt::UI8 => match i32::try_from(p.u64) {
                Ok(i) => Value::I32(i),
                Err(_) => Value::F64(p.u64 as f64),
            },
            vt::R4 => Value::F64(f64::from(p.f32)),
            vt::R8 => Value::F64(p.f64),
            vt::PWSTR => {
                let s = p.wstr;
                // SAFETY: `s.len` units readable at `s.ptr` unless null (caller).
                let text = wstr::read_wide(s.ptr, s.len as usize).ok_or_else(|| {
                    format!("a string argument has a null pointer and length {}", s.len)
                })?;
                Value::String(text)
            }
            vt::PSTR => {
                let s = p.str;
                // SAFETY: `s.len` bytes readable at `s.ptr` unless null (caller).
                let bytes = wstr::bytes(s.ptr, s.len as usize).ok_or_else(|| {
                    format!("a string argument has a null pointer and length {}", s.len)
                })?;
                Value::String(String::from_utf8_lossy(bytes).into_owned())
            }
            vt::BLOB => {
                let s = p.str;
                // SAFETY: as for PSTR.
                let bytes = wstr::read_bytes(s.ptr, s.len as usize).ok_or_else(|| {
                    format!("a binary argument has a null pointer and length {}", s.len)
                })?;
                Value::Blob(bytes)
            }
            other => Value::Unsupported(other),
        }
    };
    Ok(value)
}

/// Whether `v` holds `value`, that is whether [`read`] would give `value`, decided without
/// copying a string or blob out of host memory: an in/out parameter that holds the value the
/// component left in it is not replaced.
///
/// # Safety
/// As [`read`], and the payload stays unchanged during the call.
pub(crate) unsafe fn holds(v: *const TVariant, value: &Value) -> bool {
    // SAFETY: `v` is readable (caller); `vt` and the union are plain data.
    let (kind, p) = unsafe { ((*v).vt, (*v).value) };
    // SAFETY: each arm reads the union member that `kind` selects (caller), whose pointer is
    // null or addresses `len` readable units or bytes (caller).
    unsafe {
        match (kind, value) {
            (vt::PWSTR, Value::String(s)) => wstr::wide_equals(p.wstr.ptr, p.wstr.len as usize, s),
            (vt::PSTR, Value::String(s)) => wstr::bytes(p.str.ptr, p.str.len as usize)
                .is_some_and(|b| String::from_utf8_lossy(b) == s.as_str()),
            (vt::BLOB, Value::Blob(b)) => {
                wstr::bytes(p.str.ptr, p.str.len as usize) == Some(b.as_slice())
            }
            (vt::PWSTR | vt::PSTR | vt::BLOB, _) => false,
            _ => read(v).is_ok_and(|old| old == *value),
        }
    }
}

/// A payload ready to be stored, with any platform memory already allocated.
enum Ready {
    Empty,
    Bool(bool),
    I4(i32),
    R8(f64),
    Wide(NonNull<u16>, u32),
    Blob(*mut u8, u32),
}

impl Ready {
    fn prepare(value: &Value, mem: Option<MemoryManager>) -> Result<Ready, Error> {
        Ok(match value {
            Value::Empty => Ready::Empty,
            Value::Bool(b) => Ready::Bool(*b),
            Value::I32(i) => Ready::I4(*i),
            Value::F64(f) => match integral_i32(*f) {
                Some(i) => Ready::I4(i),
                None => Ready::R8(*f),
            },
            Value::String(s) => {
                let (p, len) = mem.ok_or_else(no_memory_manager)?.alloc_wide(s)?;
                Ready::Wide(p, len)
            }
            Value::Blob(b) => {
                let (p, len) = mem.ok_or_else(no_memory_manager)?.alloc_bytes(b)?;
                Ready::Blob(p, len)
            }
            Value::Unsupported(_) => {
                return Err(format!(
                    "a value of type {} cannot be passed to 1C",
                    value.type_name()
                ));
            }
        })
    }

    /// Overwrites the whole variant (all bytes zeroed first, then one member and `vt`).
    ///
    /// # Safety
    /// `v` points to a writable `tVariant`.
    unsafe fn store(self, v: *mut TVariant) {
        // SAFETY: `v` is a writable tVariant (caller); all-zero bytes are a valid TVariant, and
        // each arm writes one plain-data union member and the matching `vt`.
        unsafe {
            ptr::write_bytes(v, 0, 1);
            (*v).vt = match self {
                Ready::Empty => vt::EMPTY,
                Ready::Bool(b) => {
                    (*v).value.bool = u8::from(b);
                    vt::BOOL
                }
                Ready::I4(i) => {
                    (*v).value.i32 = i;
                    vt::I4
                }
                Ready::R8(f) => {
                    (*v).value.f64 = f;
                    vt::R8
                }
                Ready::Wide(p, len) => {
                    (*v).value.wstr = Counted {
                        ptr: p.as_ptr(),
                        len,
                    };
                    vt::PWSTR
                }
                Ready::Blob(p, len) => {
                    (*v).value.str = Counted { ptr: p, len };
                    vt::BLOB
                }
            };
        }
    }
}

/// `f` as an `i32` when it is integral and in range (1C numbers go back as I4 when they can).
fn integral_i32(f: f64) -> Option<i32> {
    if f.fract() == 0.0 && f >= f64::from(i32::MIN) && f <= f64::from(i32::MAX) {
        Some(f as i32)
    } else {
        None
    }
}

/// Writes `value` into an output variant whose old content is not ours to free: a return
/// value, a property value, a parameter default.
///
/// # Safety
/// `v` points to a writable `tVariant`.
pub(crate) unsafe fn write_new(
    v: *mut TVariant,
    value: &Value,
    mem: Option<MemoryManager>,
) -> Result<(), Error> {
    let ready = Ready::prepare(value, mem)?;
    // SAFETY: `v` is writable (caller).
    unsafe { ready.store(v) };
    Ok(())
}

/// Replaces an in/out parameter: allocates the new payload, then frees the old string or blob
/// buffer with `FreeMemory`, then writes. On error the variant is left as it was.
///
/// # Safety
/// `v` points to a readable and writable `tVariant` whose payload matches its `vt`, and whose
/// PWSTR/PSTR/BLOB pointer, if any, came from the platform's `AllocMemory`.
pub(crate) unsafe fn replace(
    v: *mut TVariant,
    value: &Value,
    mem: Option<MemoryManager>,
) -> Result<(), Error> {
    // SAFETY: `v` is readable (caller).
    let (kind, old) = unsafe { ((*v).vt, (*v).value) };
    let old_buffer: *mut u8 = match kind {
        // SAFETY: `vt` says which member is live (caller).
        vt::PWSTR => unsafe { old.wstr.ptr.cast() },
        // SAFETY: as above.
        vt::PSTR | vt::BLOB => unsafe { old.str.ptr },
        _ => ptr::null_mut(),
    };
    if !old_buffer.is_null() && mem.is_none() {
        return Err(no_memory_manager());
    }
    let ready = Ready::prepare(value, mem)?;
    if let (Some(mem), false) = (mem, old_buffer.is_null()) {
        // SAFETY: platform memory owned by this in/out parameter (caller), replaced right below.
        unsafe { mem.free(old_buffer.cast()) };
    }
    // SAFETY: `v` is writable (caller).
    unsafe { ready.store(v) };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::memory::fake::FakeMemoryManager;
    use super::*;

    fn empty() -> TVariant {
        // SAFETY: all-zero bytes are a valid TVariant (VTYPE_EMPTY).
        unsafe { std::mem::zeroed() }
    }

    fn round_trip(value: Value, mm: &FakeMemoryManager) -> (Value, u16) {
        let mut v = empty();
        // SAFETY: `v` is a local variant.
        unsafe { write_new(&mut v, &value, Some(mm.handle())) }.unwrap();
        // SAFETY: written just above.
        (unsafe { read(&v) }.unwrap(), v.vt)
    }

    #[test]
    fn layout_of_this_target() {
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        {
            assert_eq!(size_of::<TVariant>(), 64);
            assert_eq!(offset_of!(TVariant, cb_elements), 56);
            assert_eq!(offset_of!(TVariant, vt), 60);
            assert_eq!(size_of::<Tm>(), 56);
        }
        assert_eq!(
            std::mem::align_of::<TVariant>(),
            std::mem::align_of::<Payload>()
        );
    }

    #[test]
    fn scalars_round_trip() {
        let mm = FakeMemoryManager::new();
        assert_eq!(round_trip(Value::Empty, &mm), (Value::Empty, vt::EMPTY));
        assert_eq!(
            round_trip(Value::Bool(true), &mm),
            (Value::Bool(true), vt::BOOL)
        );
        assert_eq!(
            round_trip(Value::Bool(false), &mm),
            (Value::Bool(false), vt::BOOL)
        );
        assert_eq!(round_trip(Value::I32(-7), &mm), (Value::I32(-7), vt::I4));
        assert_eq!(round_trip(Value::F64(2.5), &mm), (Value::F64(2.5), vt::R8));
        assert_eq!(round_trip(Value::F64(3.0), &mm), (Value::I32(3), vt::I4));
        assert_eq!(
            round_trip(Value::F64(3e10), &mm),
            (Value::F64(3e10), vt::R8)
        );
        let (nan, kind) = round_trip(Value::F64(f64::NAN), &mm);
        assert!(matches!(nan, Value::F64(f) if f.is_nan()) && kind == vt::R8);
        assert_eq!(mm.live_count(), 0);
    }

    #[test]
    fn strings_and_blobs_use_the_platform_allocator() {
        let mm = FakeMemoryManager::new();
        let mut v = empty();
        // SAFETY: local variant.
        unsafe {
            write_new(
                &mut v,
                &Value::String("Привет 😀".into()),
                Some(mm.handle()),
            )
        }
        .unwrap();
        assert_eq!(v.vt, vt::PWSTR);
        // SAFETY: PWSTR written above.
        let w = unsafe { v.value.wstr };
        assert_eq!(w.len, 9);
        // SAFETY: the NUL was written after the 9 units.
        assert_eq!(unsafe { *w.ptr.add(9) }, 0);
        assert_eq!(mm.live_count(), 1);
        // SAFETY: PWSTR from the fake.
        let got = unsafe { read(&v) };
        assert_eq!(got.unwrap(), Value::String("Привет 😀".into()));

        assert_eq!(
            round_trip(Value::String(String::new()), &mm).0,
            Value::String(String::new())
        );
        assert_eq!(
            round_trip(Value::Blob(vec![0, 1, 255]), &mm),
            (Value::Blob(vec![0, 1, 255]), vt::BLOB)
        );
        assert_eq!(
            round_trip(Value::Blob(vec![]), &mm),
            (Value::Blob(vec![]), vt::BLOB)
        );
    }

    #[test]
    fn no_memory_manager_is_an_error_not_malloc() {
        let mut v = empty();
        // SAFETY: local variant.
        let r = unsafe { write_new(&mut v, &Value::String("x".into()), None) };
        assert!(r.is_err());
        assert_eq!(v.vt, vt::EMPTY);
        // SAFETY: as above.
        assert!(unsafe { write_new(&mut v, &Value::I32(1), None) }.is_ok());
    }

    #[test]
    fn unsupported_cannot_be_written() {
        let mm = FakeMemoryManager::new();
        let mut v = empty();
        // SAFETY: local variant.
        assert!(unsafe { write_new(&mut v, &Value::Unsupported(7), Some(mm.handle())) }.is_err());
    }

    #[test]
    fn replacing_an_in_out_string_frees_the_old_buffer() {
        let mm = FakeMemoryManager::new();
        let mut v = empty();
        // SAFETY: local variant; the PWSTR inside comes from the fake allocator.
        unsafe {
            write_new(&mut v, &Value::String("old".into()), Some(mm.handle())).unwrap();
            assert_eq!(mm.live_count(), 1);
            replace(&mut v, &Value::String("new".into()), Some(mm.handle())).unwrap();
            assert_eq!(mm.live_count(), 1);
            assert_eq!(read(&v).unwrap(), Value::String("new".into()));
            replace(&mut v, &Value::I32(5), Some(mm.handle())).unwrap();
        }
        assert_eq!(mm.live_count(), 0);
        assert_eq!(*mm.bad_frees.lock().unwrap(), 0);
    }

    #[test]
    fn failed_replace_keeps_the_old_value() {
        let mm = FakeMemoryManager::new();
        let mut v = empty();
        // SAFETY: local variant, fake allocator.
        unsafe {
            write_new(&mut v, &Value::String("old".into()), Some(mm.handle())).unwrap();
            mm.refuse.store(true, std::sync::atomic::Ordering::SeqCst);
            assert!(replace(&mut v, &Value::String("new".into()), Some(mm.handle())).is_err());
            assert!(replace(&mut v, &Value::I32(1), None).is_err());
            assert_eq!(read(&v).unwrap(), Value::String("old".into()));
        }
        assert_eq!(mm.live_count(), 1);
    }

    #[test]
    fn inputs_of_every_accepted_type() {
        fn with(kind: u16, fill: impl FnOnce(&mut Payload)) -> Value {
            let mut v = empty();
            v.vt = kind;
            fill(&mut v.value);
            // SAFETY: the payload matches `kind`.
            unsafe { read(&v) }.unwrap()
        }
        assert_eq!(with(vt::NULL, |_| {}), Value::Empty);
        assert_eq!(with(vt::BOOL, |p| p.bool = 2), Value::Bool(true));
        assert_eq!(with(vt::I1, |p| p.i8 = -3), Value::I32(-3));
        assert_eq!(with(vt::I2, |p| p.i16 = -300), Value::I32(-300));
        assert_eq!(with(vt::INT, |p| p.i32 = 42), Value::I32(42));
        assert_eq!(with(vt::ERROR, |p| p.i32 = 5), Value::I32(5));
        assert_eq!(with(vt::UI1, |p| p.u8 = 200), Value::I32(200));
        assert_eq!(with(vt::UI2, |p| p.u16 = 60000), Value::I32(60000));
        assert_eq!(with(vt::UI4, |p| p.u32 = 7), Value::I32(7));
        assert_eq!(
            with(vt::UINT, |p| p.u32 = u32::MAX),
            Value::F64(4294967295.0)
        );
        assert_eq!(with(vt::I8, |p| p.i64 = -5), Value::I32(-5));
        assert_eq!(
            with(vt::I8, |p| p.i64 = 1 << 40),
            Value::F64((1u64 << 40) as f64)
        );
        assert_eq!(with(vt::UI8, |p| p.u64 = 9), Value::I32(9));
        assert_eq!(with(vt::R4, |p| p.f32 = 1.5), Value::F64(1.5));
        assert_eq!(with(vt::R8, |p| p.f64 = 4.0), Value::F64(4.0));
        assert_eq!(with(7, |_| {}), Value::Unsupported(7));
        assert_eq!(with(0x4000 | vt::I4, |_| {}), Value::Unsupported(0x4003));
        let utf8 = "Ж".as_bytes().to_vec();
        assert_eq!(
            with(vt::PSTR, |p| p.str = Counted {
                ptr: utf8.as_ptr().cast_mut(),
                len: 2
            }),
            Value::String("Ж".into())
        );
        let lone = [0xD800u16, 0x41];
        assert_eq!(
            with(vt::PWSTR, |p| p.wstr = Counted {
                ptr: lone.as_ptr().cast_mut(),
                len: 2
            }),
            Value::String("\u{FFFD}A".into())
        );
        assert_eq!(
            with(vt::PWSTR, |p| p.wstr = Counted {
                ptr: ptr::null_mut(),
                len: 0
            }),
            Value::String(String::new())
        );
    }

    #[test]
    fn holds_says_what_read_would_give() {
        let wide = [0x41u16, 0xD800, 0x42];
        let utf8 = "Ж".as_bytes();
        let bad_utf8 = [0x41u8, 0xFF];
        let blob = [1u8, 2, 3];
        let counted = |ptr: *const u8, len| Counted {
            ptr: ptr.cast_mut(),
            len,
        };
        let mut variants = Vec::new();
        let mut add = |kind: u16, fill: &dyn Fn(&mut Payload)| {
            let mut v = empty();
            v.vt = kind;
            fill(&mut v.value);
            variants.push(v);
        };
        add(vt::EMPTY, &|_| {});
        add(vt::NULL, &|_| {});
        add(vt::BOOL, &|p| p.bool = 2);
        add(vt::I2, &|p| p.i16 = 5);
        add(vt::I4, &|p| p.i32 = 6);
        add(vt::UI8, &|p| p.u64 = u64::MAX);
        add(vt::R8, &|p| p.f64 = 5.0);
        add(vt::R8, &|p| p.f64 = f64::NAN);
        add(7, &|_| {});
        add(vt::PWSTR, &|p| {
            p.wstr = Counted {
                ptr: wide.as_ptr().cast_mut(),
                len: 3,
            }
        });
        add(vt::PWSTR, &|p| {
            p.wstr = Counted {
                ptr: ptr::null_mut(),
                len: 0,
            }
        });
        add(vt::PWSTR, &|p| {
            p.wstr = Counted {
                ptr: ptr::null_mut(),
                len: 2,
            }
        });
        add(vt::PSTR, &|p| p.str = counted(utf8.as_ptr(), 2));
        add(vt::PSTR, &|p| p.str = counted(bad_utf8.as_ptr(), 2));
        add(vt::BLOB, &|p| p.str = counted(blob.as_ptr(), 3));
        add(vt::BLOB, &|p| p.str = counted(ptr::null(), 0));
        let values = [
            Value::Empty,
            Value::Bool(true),
            Value::I32(5),
            Value::I32(6),
            Value::F64(5.0),
            Value::F64(u64::MAX as f64),
            Value::F64(f64::NAN),
            Value::Unsupported(7),
            Value::String("A\u{FFFD}B".into()),
            Value::String("A\u{D7FF}B".into()),
            Value::String(String::new()),
            Value::String("Ж".into()),
            Value::String("A\u{FFFD}".into()),
            Value::Blob(blob.to_vec()),
            Value::Blob(Vec::new()),
        ];
        let mut held = 0;
        for v in &variants {
            // SAFETY: each payload matches its `vt`; the buffers outlive the loop.
            let read = unsafe { read(v) };
            for value in &values {
                // SAFETY: as above.
                let holds = unsafe { holds(v, value) };
                assert_eq!(holds, read.as_ref() == Ok(value), "{} {value:?}", v.vt);
                held += usize::from(holds);
            }
        }
        assert_eq!(held, 14);
    }

    #[test]
    fn null_string_with_length_is_an_error() {
        let mut v = empty();
        v.vt = vt::PWSTR;
        v.value.wstr = Counted {
            ptr: ptr::null_mut(),
            len: 3,
        };
        // SAFETY: null pointers are checked before any read.
        assert!(unsafe { read(&v) }.is_err());
        v.vt = vt::BLOB;
        v.value.str = Counted {
            ptr: ptr::null_mut(),
            len: 3,
        };
        // SAFETY: as above.
        assert!(unsafe { read(&v) }.is_err());
    }
}
