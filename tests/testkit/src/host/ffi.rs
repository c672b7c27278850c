//! The raw C ABI as a Linux x86_64 1C host sees it: `tVariant`, the component's four vtables and
//! the string helpers. Layouts follow `shared/docs/native-api.md` §2–§3 (Itanium: two destructor
//! slots at the start of every vtable that has a virtual destructor).

use std::ffi::c_void;

/// C `long` is `i64` on LP64 Linux, the only target of this module, so the vtables use `i64`.
///
/// The `this` pointer of a C++ interface.
pub(crate) type This = *mut c_void;

/// `ENUMVAR` values used by the host (native-api.md §3).
pub(crate) mod vt {
    pub const EMPTY: u16 = 0;
    pub const NULL: u16 = 1;
    pub const I2: u16 = 2;
    pub const I4: u16 = 3;
    pub const R4: u16 = 4;
    pub const R8: u16 = 5;
    pub const ERROR: u16 = 10;
    pub const BOOL: u16 = 11;
    pub const I1: u16 = 13;
    pub const UI1: u16 = 14;
    pub const UI2: u16 = 15;
    pub const UI4: u16 = 16;
    pub const I8: u16 = 17;
    pub const UI8: u16 = 18;
    pub const INT: u16 = 19;
    pub const UINT: u16 = 20;
    pub const PWSTR: u16 = 22;
    pub const BLOB: u16 = 23;
}

/// `tVariant` on Linux x86_64: a 56-byte union (its largest member is `struct tm`), then
/// `uint32_t cbElements` at 56 and `TYPEVAR vt` at 60; 64 bytes, 8-aligned.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct TVariant {
    payload: [u64; 7],
    pub cb_elements: u32,
    pub vt: u16,
    pad: u16,
}

#[cfg(not(all(
    target_os = "linux",
    target_pointer_width = "64",
    target_endian = "little"
)))]
compile_error!("testkit::host models the Linux 64-bit little-endian ABI only");

const _: () = {
    assert!(std::mem::size_of::<TVariant>() == 64);
    assert!(std::mem::align_of::<TVariant>() == 8);
    assert!(std::mem::offset_of!(TVariant, cb_elements) == 56);
    assert!(std::mem::offset_of!(TVariant, vt) == 60);
};

impl TVariant {
    /// A zeroed `VTYPE_EMPTY`, as 1C hands out for return values.
    pub fn empty() -> TVariant {
        TVariant {
            payload: [0; 7],
            cb_elements: 0,
            vt: vt::EMPTY,
            pad: 0,
        }
    }

    /// The first byte (`bVal`, `i8Val`, `ui8Val`). Little-endian targets only: every small
    /// member starts at byte 0 of the union, which is the low end of `payload[0]`.
    pub fn u8_at0(&self) -> u8 {
        self.payload[0] as u8
    }
    /// `shortVal` / `ushortVal`.
    pub fn u16_at0(&self) -> u16 {
        self.payload[0] as u16
    }
    /// `lVal` / `intVal` / `ulVal` / `errCode`.
    pub fn u32_at0(&self) -> u32 {
        self.payload[0] as u32
    }
    /// `llVal` / `ullVal`.
    pub fn u64_at0(&self) -> u64 {
        self.payload[0]
    }
    /// `fltVal`.
    pub fn f32_at0(&self) -> f32 {
        f32::from_bits(self.u32_at0())
    }
    /// `dblVal`.
    pub fn f64_at0(&self) -> f64 {
        f64::from_bits(self.payload[0])
    }
    /// `pwstrVal` / `pstrVal`.
    pub fn ptr(&self) -> *mut u8 {
        self.payload[0] as usize as *mut u8
    }
    /// `wstrLen` / `strLen` (offset 8 on 64-bit).
    pub fn len(&self) -> u32 {
        self.payload[1] as u32
    }

    pub fn set_bool(&mut self, b: bool) {
        *self = TVariant::empty();
        self.payload[0] = u64::from(b);
        self.vt = vt::BOOL;
    }
    pub fn set_i32(&mut self, v: i32) {
        *self = TVariant::empty();
        self.payload[0] = u64::from(v as u32);
        self.vt = vt::I4;
    }
    pub fn set_f64(&mut self, v: f64) {
        *self = TVariant::empty();
        self.payload[0] = v.to_bits();
        self.vt = vt::R8;
    }
    /// A string or blob: pointer at 0, length (UTF-16 units or bytes) at 8.
    pub fn set_ptr_len(&mut self, vtype: u16, ptr: *mut u8, len: u32) {
        *self = TVariant::empty();
        self.payload[0] = ptr as usize as u64;
        self.payload[1] = u64::from(len);
        self.vt = vtype;
    }
}

/// Vtable of the component's `IInitDoneBase` sub-object (offset 0).
#[repr(C)]
pub(crate) struct InitDoneVtbl {
    pub dtor_complete: Option<unsafe extern "C" fn(This)>,
    pub dtor_deleting: Option<unsafe extern "C" fn(This)>,
    pub init: Option<unsafe extern "C" fn(This, *mut c_void) -> u8>,
    pub set_mem_manager: Option<unsafe extern "C" fn(This, *mut c_void) -> u8>,
    pub get_info: Option<unsafe extern "C" fn(This) -> i64>,
    pub done: Option<unsafe extern "C" fn(This)>,
}

/// Vtable of the component's `ILanguageExtenderBase` sub-object (offset 8).
#[repr(C)]
pub(crate) struct LangExtVtbl {
    pub dtor_complete: Option<unsafe extern "C" fn(This)>,
    pub dtor_deleting: Option<unsafe extern "C" fn(This)>,
    pub register_extension_as: Option<unsafe extern "C" fn(This, *mut *mut u16) -> u8>,
    pub get_n_props: Option<unsafe extern "C" fn(This) -> i64>,
    pub find_prop: Option<unsafe extern "C" fn(This, *const u16) -> i64>,
    pub get_prop_name: Option<unsafe extern "C" fn(This, i64, i64) -> *const u16>,
    pub get_prop_val: Option<unsafe extern "C" fn(This, i64, *mut TVariant) -> u8>,
    pub set_prop_val: Option<unsafe extern "C" fn(This, i64, *mut TVariant) -> u8>,
    pub is_prop_readable: Option<unsafe extern "C" fn(This, i64) -> u8>,
    pub is_prop_writable: Option<unsafe extern "C" fn(This, i64) -> u8>,
    pub get_n_methods: Option<unsafe extern "C" fn(This) -> i64>,
    pub find_method: Option<unsafe extern "C" fn(This, *const u16) -> i64>,
    pub get_method_name: Option<unsafe extern "C" fn(This, i64, i64) -> *const u16>,
    pub get_n_params: Option<unsafe extern "C" fn(This, i64) -> i64>,
    pub get_param_def_value: Option<unsafe extern "C" fn(This, i64, i64, *mut TVariant) -> u8>,
    pub has_ret_val: Option<unsafe extern "C" fn(This, i64) -> u8>,
    pub call_as_proc: Option<unsafe extern "C" fn(This, i64, *mut TVariant, i64) -> u8>,
    pub call_as_func:
        Option<unsafe extern "C" fn(This, i64, *mut TVariant, *mut TVariant, i64) -> u8>,
}

/// Vtable of the component's `LocaleBase` sub-object (offset 16).
#[repr(C)]
pub(crate) struct LocaleVtbl {
    pub dtor_complete: Option<unsafe extern "C" fn(This)>,
    pub dtor_deleting: Option<unsafe extern "C" fn(This)>,
    pub set_locale: Option<unsafe extern "C" fn(This, *const u16)>,
}

/// Vtable of the component's `UserLanguageBase` sub-object (offset 24).
#[repr(C)]
pub(crate) struct UserLangVtbl {
    pub dtor_complete: Option<unsafe extern "C" fn(This)>,
    pub dtor_deleting: Option<unsafe extern "C" fn(This)>,
    pub set_user_interface_language_code: Option<unsafe extern "C" fn(This, *const u16)>,
}

/// Byte offsets of the four base sub-objects inside an `IComponentBase` (one vptr each).
pub(crate) const INIT_DONE_OFFSET: usize = 0;
pub(crate) const LANG_EXT_OFFSET: usize = 8;
pub(crate) const LOCALE_OFFSET: usize = 16;
pub(crate) const USER_LANG_OFFSET: usize = 24;

/// `s` as UTF-16 with a trailing NUL.
pub(crate) fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// Longest NUL-terminated string the host reads before calling it a violation (code units).
pub(crate) const MAX_WSTR: usize = 64 << 20;

/// Reads a NUL-terminated UTF-16 string of at most `max` units; `None` when `p` is null or no
/// NUL came within `max` units.
///
/// # Safety
/// `p` must be null or point to readable memory up to its NUL or `max` units.
pub(crate) unsafe fn read_wstr(p: *const u16, max: usize) -> Option<Vec<u16>> {
    // SAFETY: per the contract.
    let len = unsafe { wstr_len(p, max) }?;
    let mut out = Vec::with_capacity(len);
    // SAFETY: `wstr_len` found `len` readable units before the NUL.
    unsafe { append_units(p, len, &mut out) };
    Some(out)
}

/// The number of units before the NUL of the UTF-16 string at `p`; `None` when `p` is null or
/// no NUL came within `max` units.
///
/// # Safety
/// `p` must be null or point to readable memory up to its NUL or `max` units.
pub(crate) unsafe fn wstr_len(p: *const u16, max: usize) -> Option<usize> {
    if p.is_null() {
        return None;
    }
    if p.is_aligned() {
        let mut i = 0;
        while i < max {
            // SAFETY: the caller guarantees `p[0..=NUL]` (bounded by `max`) is readable; `p` is
            // aligned.
            if unsafe { p.add(i).read() } == 0 {
                return Some(i);
            }
            i += 1;
        }
        return None;
    }
    // SAFETY: as above, unaligned reads.
    (0..max).find(|&i| unsafe { p.add(i).read_unaligned() } == 0)
}

/// Appends the `len` units at `p` to `out`.
///
/// # Safety
/// `p[0..len]` must be readable.
pub(crate) unsafe fn append_units(p: *const u16, len: usize, out: &mut Vec<u16>) {
    if len == 0 {
        return;
    }
    if p.is_aligned() {
        // SAFETY: per the contract; aligned and non-null.
        out.extend_from_slice(unsafe { std::slice::from_raw_parts(p, len) });
    } else {
        out.reserve(len);
        // SAFETY: per the contract, unaligned reads.
        out.extend((0..len).map(|i| unsafe { p.add(i).read_unaligned() }));
    }
}

/// Decodes UTF-16 units into a `String`, unpaired surrogates as U+FFFD; ASCII without a
/// per-character decode.
pub(crate) fn decode_lossy(units: &[u16]) -> String {
    if units.iter().all(|&u| u < 0x80) {
        let bytes: Vec<u8> = units.iter().map(|&u| u as u8).collect();
        return String::from_utf8(bytes).unwrap_or_default();
    }
    String::from_utf16_lossy(units)
}
