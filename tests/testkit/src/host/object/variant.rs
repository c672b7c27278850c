//! Values across the ABI: a [`V`] into a `tVariant` this host allocates, a `tVariant` the
//! add-in filled back into a [`V`], with the string contract checked and the memory freed as 1C
//! frees it.

use super::Object;
use crate::host::ffi::{vt, TVariant};
use crate::host::memory::{self, block_info, release};
use crate::host::record_violation;
use crate::host::value::V;

/// Names a call site of an object in violation texts (`object #N: what`), formatted only when
/// a violation is recorded.
pub(super) struct Site<'a>(usize, &'a str);

impl std::fmt::Display for Site<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "object #{}: {}", self.0, self.1)
    }
}

impl Object {
    pub(super) fn to_variant(&self, value: &V) -> TVariant {
        let counters = &self.side.state.counters;
        let mut var = TVariant::empty();
        match value {
            V::Empty => {}
            V::Bool(b) => var.set_bool(*b),
            V::I32(n) => var.set_i32(*n),
            V::F64(x) => var.set_f64(*x),
            V::Str(s) => {
                let (p, len) = memory::alloc_wstr(counters, s);
                var.set_ptr_len(vt::PWSTR, p.cast(), len);
            }
            V::Blob(b) => {
                let p = memory::alloc_bytes(counters, b);
                var.set_ptr_len(vt::BLOB, p, b.len() as u32);
            }
        }
        var
    }

    /// Converts a tVariant the add-in filled, checks the string contract, frees its string or
    /// blob and leaves it VTYPE_EMPTY.
    pub(super) fn take(&self, var: &mut TVariant, what: &str) -> Result<V, String> {
        let value = self.read_variant(var, what);
        self.free_variant(var, what);
        value
    }

    /// Converts a tVariant, checking the string contract (violations are recorded).
    pub(super) fn read_variant(&self, var: &TVariant, what: &str) -> Result<V, String> {
        let counters = &self.side.state.counters;
        // Formatted only if a violation is recorded.
        let what = Site(self.id(), what);
        match var.vt {
            vt::EMPTY | vt::NULL => Ok(V::Empty),
            vt::BOOL => {
                let b = var.u8_at0();
                if b > 1 {
                    record_violation(format!("{what}: VTYPE_BOOL with byte value {b}"));
                }
                Ok(V::Bool(b != 0))
            }
            vt::I1 => Ok(V::I32(i32::from(var.u8_at0() as i8))),
            vt::UI1 => Ok(V::I32(i32::from(var.u8_at0()))),
            vt::I2 => Ok(V::I32(i32::from(var.u16_at0() as i16))),
            vt::UI2 => Ok(V::I32(i32::from(var.u16_at0()))),
            vt::I4 | vt::INT | vt::ERROR => Ok(V::I32(var.u32_at0() as i32)),
            vt::UI4 | vt::UINT => {
                let u = var.u32_at0();
                Ok(i32::try_from(u).map_or(V::F64(f64::from(u)), V::I32))
            }
            vt::I8 => Ok(V::F64(var.u64_at0() as i64 as f64)),
            vt::UI8 => Ok(V::F64(var.u64_at0() as f64)),
            vt::R4 => Ok(V::F64(f64::from(var.f32_at0()))),
            vt::R8 => Ok(V::F64(var.f64_at0())),
            vt::PWSTR => {
                let s = memory::read_returned_pwstr(counters, var.ptr().cast(), var.len(), &what);
                Ok(V::Str(s))
            }
            vt::BLOB => Ok(V::Blob(self.read_blob(var, &what))),
            other => Err(format!("{what}: unsupported VTYPE {other}")),
        }
    }

    /// Frees the string or blob of a tVariant (what 1C frees after a call) and empties it.
    /// Blocks this host does not know were reported when read and are left alone.
    pub(super) fn free_variant(&self, var: &mut TVariant, what: &str) {
        if matches!(var.vt, vt::PWSTR | vt::BLOB) && block_info(var.ptr()).is_some() {
            release(&self.side.state.counters, var.ptr(), &Site(self.id(), what));
        }
        *var = TVariant::empty();
    }

    fn read_blob(&self, var: &TVariant, what: &Site<'_>) -> Vec<u8> {
        let (p, len) = (var.ptr(), var.len() as usize);
        if p.is_null() {
            if len != 0 {
                record_violation(format!(
                    "{what}: VTYPE_BLOB with a null pointer and strLen {len}"
                ));
            }
            return Vec::new();
        }
        let Some((size, _)) = block_info(p) else {
            memory::count_bad(&self.side.state.counters, memory::Breach::BrokenString);
            record_violation(format!(
                "{what}: BLOB {p:p} was not allocated with this host's AllocMemory"
            ));
            return Vec::new();
        };
        if size < len {
            memory::count_bad(&self.side.state.counters, memory::Breach::BrokenString);
            record_violation(format!(
                "{what}: BLOB block of {size} bytes is shorter than strLen {len}"
            ));
        }
        // SAFETY: the block holds `size` bytes.
        unsafe { std::slice::from_raw_parts(p, len.min(size)) }.to_vec()
    }
}
