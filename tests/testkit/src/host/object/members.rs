//! Properties and methods as 1C code uses them: `Объект.Свойство`, `Объект.Свойство = …`,
//! `Объект.Метод(…)`, each as the sequence of ABI calls 1C makes, with 1C's errors.

use super::Object;
use crate::host::ffi::{vt, TVariant};
use crate::host::memory::release;
use crate::host::record_violation;
use crate::host::value::{CallError, ErrorKind, V};

impl Object {
    /// `Значение = Объект.<name>`: FindProp → IsPropReadable → GetPropVal, each its own ABI call
    /// as in 1C.
    pub fn get(&self, name: &str) -> Result<V, CallError> {
        self.get_index(found(self.find_prop(name), "property", name)?)
    }

    /// `GetPropVal` of the property with index `n`, after `IsPropReadable`.
    pub fn get_index(&self, n: i64) -> Result<V, CallError> {
        let call = self.enter();
        let (vt, this) = self.lang();
        // SAFETY: live object.
        if unsafe { slot!(vt, is_prop_readable)(this, n) } == 0 {
            return Err(CallError::host(
                ErrorKind::NotReadable,
                format!("property {n} is not readable"),
            ));
        }
        let mut var = TVariant::empty();
        // SAFETY: live object; `var` is a valid tVariant.
        let ok = unsafe { slot!(vt, get_prop_val)(this, n, &mut var) } != 0;
        let value = self.take(&mut var, "GetPropVal");
        call.verdict(ok)?;
        value.map_err(|m| CallError::host(ErrorKind::Unsupported, m))
    }

    /// `Объект.<name> = value`: FindProp → IsPropWritable → SetPropVal. A string or blob is
    /// allocated with this host's memory manager and freed by the host after the call.
    pub fn set(&self, name: &str, value: impl Into<V>) -> Result<(), CallError> {
        self.set_index(found(self.find_prop(name), "property", name)?, value)
    }

    /// `SetPropVal` of the property with index `n`, after `IsPropWritable`.
    pub fn set_index(&self, n: i64, value: impl Into<V>) -> Result<(), CallError> {
        let value = value.into();
        let call = self.enter();
        let (vt, this) = self.lang();
        // SAFETY: live object.
        if unsafe { slot!(vt, is_prop_writable)(this, n) } == 0 {
            return Err(CallError::host(
                ErrorKind::NotWritable,
                format!("property {n} is not writable"),
            ));
        }
        let mut var = self.to_variant(&value);
        let original = var;
        // SAFETY: live object; `var` is a valid tVariant.
        let ok = unsafe { slot!(vt, set_prop_val)(this, n, &mut var) } != 0;
        if var.vt != original.vt || var.ptr() != original.ptr() || var.len() != original.len() {
            record_violation(format!(
                "object #{}: SetPropVal({n}) changed its argument",
                self.id()
            ));
        }
        let what = format!(
            "object #{}: host freeing the SetPropVal argument",
            self.id()
        );
        if matches!(original.vt, vt::PWSTR | vt::BLOB) && !original.ptr().is_null() {
            release(&self.side.state.counters, original.ptr(), &what);
        }
        call.verdict(ok)
    }

    /// `Объект.<name>(args…)`; arguments are copied, so out-parameters are lost: see
    /// [`Object::call_out`].
    pub fn call(&self, name: &str, args: &[V]) -> Result<V, CallError> {
        self.call_out(name, &mut args.to_vec())
    }

    /// `Объект.<name>(args…)` with in/out arguments: after the call each element of `args`
    /// holds what the add-in left in that parameter, as 1C copies it back into the variable.
    ///
    /// FindMethod → GetNParams → GetParamDefValue for every omitted trailing argument (error if
    /// it answers false) → HasRetVal ? CallAsFunc : CallAsProc → free every string and blob
    /// left in the return value and the parameters.
    pub fn call_out(&self, name: &str, args: &mut [V]) -> Result<V, CallError> {
        self.call_index(found(self.find_method(name), "method", name)?, args)
    }

    /// The call sequence of [`Object::call_out`] for method index `m`.
    pub fn call_index(&self, m: i64, args: &mut [V]) -> Result<V, CallError> {
        let call = self.enter();
        let (vt, this) = self.lang();
        let mc = m;
        // SAFETY: live object.
        let n = unsafe { slot!(vt, get_n_params)(this, mc) };
        let n = usize::try_from(n).map_err(|_| {
            CallError::host(
                ErrorKind::Unsupported,
                format!("GetNParams({m}) answered {n}"),
            )
        })?;
        if args.len() > n {
            return Err(CallError::host(
                ErrorKind::TooManyArguments,
                format!("method {m} takes {n} parameters, {} given", args.len()),
            ));
        }
        let mut params: Vec<TVariant> = args.iter().map(|a| self.to_variant(a)).collect();
        for p in args.len()..n {
            let mut var = TVariant::empty();
            // SAFETY: live object; `var` is a valid tVariant.
            let ok = unsafe { slot!(vt, get_param_def_value)(this, mc, p as i64, &mut var) } != 0;
            if !ok {
                let _ = self.take(&mut var, "GetParamDefValue");
                for v in &mut params {
                    let _ = self.take(v, "host cleanup");
                }
                return Err(CallError::host(
                    ErrorKind::MissingArgument,
                    format!(
                        "method {m}: parameter {p} is required (GetParamDefValue answered false)"
                    ),
                ));
            }
            params.push(var);
        }
        // 1C passes exactly GetNParams tVariants; for none, a null pointer (the harshest case).
        let ptr = if params.is_empty() {
            std::ptr::null_mut()
        } else {
            params.as_mut_ptr()
        };
        let mut ret = TVariant::empty();
        // SAFETY: live object; `ptr` points to `n` valid tVariants (or is null for n = 0) and
        // `ret` is a valid tVariant.
        let ok = unsafe {
            if slot!(vt, has_ret_val)(this, mc) != 0 {
                slot!(vt, call_as_func)(this, mc, &mut ret, ptr, n as i64)
            } else {
                slot!(vt, call_as_proc)(this, mc, ptr, n as i64)
            }
        } != 0;
        // Read every value before freeing any: a return value or a parameter that shares its
        // buffer with another one is a violation, not a use-after-free of this host.
        let values: Vec<Result<V, String>> = params
            .iter()
            .map(|var| self.read_variant(var, "CallAs* parameter"))
            .collect();
        let ret_value = self.read_variant(&ret, "CallAsFunc return value");
        // A handful of values: a list beats hashing.
        let mut freed = Vec::with_capacity(params.len() + 1);
        for var in params.iter_mut().chain(std::iter::once(&mut ret)) {
            if matches!(var.vt, vt::PWSTR | vt::BLOB) && !var.ptr().is_null() {
                if freed.contains(&var.ptr()) {
                    record_violation(format!(
                        "object #{}: CallAs*: two values of one call share the buffer {:p}",
                        self.id(),
                        var.ptr()
                    ));
                    *var = TVariant::empty();
                } else {
                    freed.push(var.ptr());
                }
            }
            self.free_variant(var, "CallAs* result");
        }
        for (slot, value) in args.iter_mut().zip(values) {
            if let Ok(value) = value {
                *slot = value;
            }
        }
        call.verdict(ok)?;
        ret_value.map_err(|m| CallError::host(ErrorKind::Unsupported, m))
    }
}

/// The index `FindProp`/`FindMethod` answered, or the error 1C raises for -1.
fn found(index: i64, what: &str, name: &str) -> Result<i64, CallError> {
    if index < 0 {
        return Err(CallError::host(
            ErrorKind::NotFound,
            format!("no {what} {name:?}"),
        ));
    }
    Ok(index)
}
