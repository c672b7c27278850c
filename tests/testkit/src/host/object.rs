//! One add-in object driven through its vtables the way 1C drives it.

use std::collections::VecDeque;
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use super::bell::Bell;
use super::ffi::{
    decode_lossy, vt, wide, InitDoneVtbl, LangExtVtbl, LocaleVtbl, TVariant, This, UserLangVtbl,
    INIT_DONE_OFFSET, LANG_EXT_OFFSET, LOCALE_OFFSET, USER_LANG_OFFSET,
};
use super::library::Library;
use super::memory::{self, block_info, release, MemoryReport};
use super::platform::{AddError, HostSide, HostState};
use super::{lock, record_violation};

/// A 1C value as the tests write it.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    /// `Неопределено` (VTYPE_EMPTY; VTYPE_NULL reads back as this too).
    Empty,
    /// `Булево` (VTYPE_BOOL).
    Bool(bool),
    /// An integral `Число` (passed as VTYPE_I4; every integer VTYPE that fits reads back as this).
    I32(i32),
    /// Any other `Число` (VTYPE_R8; R4, I8, UI8 and large UI4 read back as this).
    F64(f64),
    /// `Строка` (VTYPE_PWSTR).
    Str(String),
    /// `ДвоичныеДанные` (VTYPE_BLOB).
    Blob(Vec<u8>),
}

impl V {
    /// The string, if this is a `Str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            V::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The number as f64, if this is an `I32` or an `F64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            V::I32(n) => Some(f64::from(*n)),
            V::F64(x) => Some(*x),
            _ => None,
        }
    }

    /// The boolean, if this is a `Bool`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            V::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The 1C name of the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            V::Empty => "Undefined",
            V::Bool(_) => "Boolean",
            V::I32(_) | V::F64(_) => "Number",
            V::Str(_) => "String",
            V::Blob(_) => "BinaryData",
        }
    }
}

impl From<&str> for V {
    fn from(s: &str) -> V {
        V::Str(s.to_owned())
    }
}
impl From<String> for V {
    fn from(s: String) -> V {
        V::Str(s)
    }
}
impl From<bool> for V {
    fn from(b: bool) -> V {
        V::Bool(b)
    }
}
impl From<i32> for V {
    fn from(n: i32) -> V {
        V::I32(n)
    }
}
impl From<f64> for V {
    fn from(x: f64) -> V {
        V::F64(x)
    }
}
impl From<Vec<u8>> for V {
    fn from(b: Vec<u8>) -> V {
        V::Blob(b)
    }
}
impl From<&[u8]> for V {
    fn from(b: &[u8]) -> V {
        V::Blob(b.to_vec())
    }
}

/// Why a member access failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// `FindProp`/`FindMethod` answered -1 (1C: "field/method not found").
    NotFound,
    /// `IsPropReadable` answered false.
    NotReadable,
    /// `IsPropWritable` answered false.
    NotWritable,
    /// More arguments than `GetNParams` (1C: "too many actual parameters").
    TooManyArguments,
    /// An omitted argument for which `GetParamDefValue` answered false (1C: "not enough
    /// actual parameters").
    MissingArgument,
    /// The add-in raised: the call returned false, or `AddError` came with `scode != 0`.
    Raised,
    /// The add-in returned a value of a type this host cannot represent.
    Unsupported,
}

/// A failed property access or method call, as 1C code would see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    /// The `descr` of the last `AddError` during the call (the text of 1C's exception), or the
    /// host's own explanation when the add-in was not reached. Empty when the add-in returned
    /// false without calling `AddError`.
    pub message: String,
    /// True when the add-in itself raised (returned false, or `AddError` with `scode != 0`);
    /// false when the host refused before or after the call (see `kind`).
    pub exception: bool,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl CallError {
    fn host(kind: ErrorKind, message: String) -> CallError {
        CallError {
            message,
            exception: false,
            kind,
        }
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for CallError {}

/// One external event, as `ВнешнееСобытие(Источник, Событие, Данные)` receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `Источник`.
    pub source: String,
    /// `Событие`.
    pub event: String,
    /// `Данные`.
    pub data: String,
}

/// One external event as the host queued it: the three strings exactly as `ExternalEvent` passed
/// them (UTF-16 without their NULs, in one buffer), as 1C keeps them. Decoded into an [`Event`]
/// only when asked ([`RawEvent::decode`]); [`Object::take_events`] hands these out.
#[derive(Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// `source`, then `event`, then `data`.
    units: Vec<u16>,
    /// Where `event` starts in `units`.
    event_at: usize,
    /// Where `data` starts in `units`.
    data_at: usize,
    /// When `ExternalEvent` was called with it.
    received_at: SystemTime,
}

impl RawEvent {
    /// The event made of `units`: `source` is `units[..event_at]`, `event` runs to `data_at`,
    /// `data` is the rest; `ExternalEvent` was called at `received_at`.
    pub(crate) fn new(
        units: Vec<u16>,
        event_at: usize,
        data_at: usize,
        received_at: SystemTime,
    ) -> RawEvent {
        assert!(event_at <= data_at && data_at <= units.len());
        RawEvent {
            units,
            event_at,
            data_at,
            received_at,
        }
    }

    /// When the add-in called `ExternalEvent` with it (the system's wall clock, which other
    /// processes read too).
    pub fn received_at(&self) -> SystemTime {
        self.received_at
    }

    /// `Источник` as UTF-16 units.
    pub fn source_units(&self) -> &[u16] {
        &self.units[..self.event_at]
    }

    /// `Событие` as UTF-16 units.
    pub fn event_units(&self) -> &[u16] {
        &self.units[self.event_at..self.data_at]
    }

    /// `Данные` as UTF-16 units.
    pub fn data_units(&self) -> &[u16] {
        &self.units[self.data_at..]
    }

    /// The event with its strings decoded (unpaired surrogates as U+FFFD).
    pub fn decode(&self) -> Event {
        Event {
            source: decode_lossy(self.source_units()),
            event: decode_lossy(self.event_units()),
            data: decode_lossy(self.data_units()),
        }
    }
}

impl std::fmt::Debug for RawEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = self.decode();
        f.debug_struct("RawEvent")
            .field("source", &e.source)
            .field("event", &e.event)
            .field("data", &e.data)
            .finish()
    }
}

/// Names a call site of an object in violation texts (`object #N: what`), formatted only when
/// a violation is recorded.
struct Site<'a>(usize, &'a str);

impl std::fmt::Display for Site<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "object #{}: {}", self.0, self.1)
    }
}

/// How an object is torn down.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Teardown {
    /// 1C: `Done()` then the exported `DestroyObject`.
    DestroyObject,
    /// OneScript: `Done()` then `delete` through the virtual (deleting) destructor.
    DeletingDestructor,
}

macro_rules! slot {
    ($vtbl:expr, $name:ident) => {
        $vtbl.$name.unwrap_or_else(|| {
            panic!(
                "the add-in's vtable has a null `{}` slot",
                stringify!($name)
            )
        })
    };
}

/// One live add-in object (`Новый("AddIn.SocketIO.Client")`), made by
/// [`Library::create`](super::Library::create).
///
/// Every ABI call takes the object's call lock, as 1C runs one call at a time on its main
/// thread; events queued by the add-in are delivered only by [`Object::wait_event`] and its
/// siblings, which hold the same lock, so never during a call. Dropping the object runs
/// [`Object::done`] if it was not called.
pub struct Object {
    lib: Library,
    class: String,
    comp: *mut c_void,
    side: HostSide,
    call_lock: Mutex<()>,
    finished: bool,
    info: i64,
    seen: Mutex<Vec<Event>>,
    /// Every event taken from the queue, as queued (decoded by [`Object::history`]).
    history: Mutex<Vec<RawEvent>>,
    /// Whether taken events go to `history` ([`Object::keep_history`]).
    keep_history: AtomicBool,
    /// An empty queue buffer, swapped with the full one by [`Object::take_events`] so that
    /// neither is reallocated once warm.
    spare: Mutex<VecDeque<RawEvent>>,
}

// SAFETY: the component pointer is only used under `call_lock`, one call at a time, which is
// what 1C guarantees too (it may be a different thread from one call to the next, as with
// 1C's own thread pools on the server).
unsafe impl Send for Object {}
// SAFETY: as above: every use of the raw pointers goes through `call_lock`.
unsafe impl Sync for Object {}

/// A component call in progress: holds the call lock and marks the thread as inside a call.
struct Call<'a> {
    _lock: MutexGuard<'a, ()>,
    state: &'static HostState,
    errors_before: usize,
}

impl Call<'_> {
    /// `AddError`s made since the call started.
    fn new_errors(&self) -> Vec<AddError> {
        self.state.errors()[self.errors_before..].to_vec()
    }

    /// Turns the add-in's answer into 1C's verdict: false, or an `AddError` with `scode != 0`,
    /// raises, with the text of the last `AddError`.
    fn verdict(&self, ok: bool) -> Result<(), CallError> {
        let errors = self.new_errors();
        let raised = !ok || errors.iter().any(|e| e.scode != 0);
        if !raised {
            return Ok(());
        }
        let message = errors.last().map(|e| e.descr.clone()).unwrap_or_default();
        Err(CallError {
            message,
            exception: true,
            kind: ErrorKind::Raised,
        })
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        self.state.set_in_call(false);
    }
}

impl Object {
    pub(crate) fn new(lib: Library, class: &str, comp: *mut c_void, side: HostSide) -> Object {
        Object {
            lib,
            class: class.to_owned(),
            comp,
            side,
            call_lock: Mutex::new(()),
            finished: false,
            info: 0,
            seen: Mutex::new(Vec::new()),
            history: Mutex::new(Vec::new()),
            keep_history: AtomicBool::new(true),
            spare: Mutex::new(VecDeque::new()),
        }
    }

    fn enter(&self) -> Call<'_> {
        assert!(
            !self.finished,
            "object #{} is already destroyed",
            self.side.state.id
        );
        let lock = lock(&self.call_lock);
        self.side.state.set_in_call(true);
        Call {
            _lock: lock,
            state: self.side.state,
            errors_before: self.side.state.errors().len(),
        }
    }

    /// The vtable of the sub-object at `offset` and the matching `this`.
    ///
    /// # Safety
    /// `T` must be the vtable type of the base at `offset`; the object must be alive.
    unsafe fn vtbl<T>(&self, offset: usize) -> (&T, This) {
        // SAFETY: `comp` is a live IComponentBase*; the base at `offset` starts with its vptr,
        // which points into the add-in's static vtable (alive while `self.lib` is loaded).
        unsafe {
            let this = self.comp.cast::<u8>().add(offset).cast::<c_void>();
            let vptr = this.cast::<*const T>().read();
            assert!(
                !vptr.is_null(),
                "object #{}: null vptr at offset {offset}",
                self.side.state.id
            );
            (&*vptr, this)
        }
    }

    fn init_done(&self) -> (&InitDoneVtbl, This) {
        // SAFETY: IInitDoneBase is at offset 0.
        unsafe { self.vtbl(INIT_DONE_OFFSET) }
    }

    fn lang(&self) -> (&LangExtVtbl, This) {
        // SAFETY: ILanguageExtenderBase is at offset 8.
        unsafe { self.vtbl(LANG_EXT_OFFSET) }
    }

    /// Runs the creation sequence of 1C (Library::create).
    pub(crate) fn start(
        &mut self,
        init_first: bool,
        locale: &str,
        language: &str,
    ) -> Result<(), String> {
        let id = self.side.state.id;
        let call = self.enter();
        let (vt, this) = self.init_done();
        let mem = self.side.memory_manager();
        let conn = self.side.connection();
        // SAFETY: `this` is the live object's IInitDoneBase; the pointers we pass stay valid
        // for the whole process.
        let (init_ok, mem_ok) = unsafe {
            if init_first {
                let i = slot!(vt, init)(this, conn) != 0;
                (i, slot!(vt, set_mem_manager)(this, mem) != 0)
            } else {
                let m = slot!(vt, set_mem_manager)(this, mem) != 0;
                (slot!(vt, init)(this, conn) != 0, m)
            }
        };
        if !mem_ok {
            return Err(format!("object #{id}: setMemManager returned false"));
        }
        if !init_ok {
            let why = call
                .new_errors()
                .last()
                .map(|e| e.descr.clone())
                .unwrap_or_default();
            return Err(format!("object #{id}: Init returned false {why}"));
        }
        // SAFETY: as above.
        let info = unsafe { slot!(vt, get_info)(this) };
        // SAFETY: LocaleBase is at offset 16, UserLanguageBase at 24; strings live for the call.
        unsafe {
            let (lvt, lthis) = self.vtbl::<LocaleVtbl>(LOCALE_OFFSET);
            slot!(lvt, set_locale)(lthis, wide(locale).as_ptr());
            let (uvt, uthis) = self.vtbl::<UserLangVtbl>(USER_LANG_OFFSET);
            slot!(uvt, set_user_interface_language_code)(uthis, wide(language).as_ptr());
        }
        let (lvt, lthis) = self.lang();
        let mut ext: *mut u16 = std::ptr::null_mut();
        // SAFETY: `ext` is a valid out pointer.
        let ok = unsafe { slot!(lvt, register_extension_as)(lthis, &mut ext) } != 0;
        let counters = &self.side.state.counters;
        let name = memory::read_returned_cstr(
            counters,
            ext,
            &format!("object #{id}: RegisterExtensionAs"),
        );
        if block_info(ext.cast()).is_some() {
            release(
                counters,
                ext.cast(),
                &format!("object #{id}: host freeing RegisterExtensionAs"),
            );
        }
        drop(call);
        self.info = info;
        if !ok {
            return Err(format!("object #{id}: RegisterExtensionAs returned false"));
        }
        match name {
            Some(n) if n == self.class => Ok(()),
            other => Err(format!(
                "object #{id}: RegisterExtensionAs gave {other:?}, expected the class name {:?}",
                self.class
            )),
        }
    }

    // ----- identity and raw ABI ----------------------------------------------------------------

    /// A process-unique number of this object (it prefixes its violations: `object #N`).
    pub fn id(&self) -> usize {
        self.side.state.id
    }

    /// The class name it was created with.
    pub fn class(&self) -> &str {
        &self.class
    }

    /// What `GetInfo` answered at creation.
    pub fn info(&self) -> i64 {
        self.info
    }

    /// `GetNProps`.
    pub fn prop_count(&self) -> i64 {
        let _call = self.enter();
        let (vt, this) = self.lang();
        // SAFETY: live object.
        unsafe { slot!(vt, get_n_props)(this) }
    }

    /// `GetNMethods`.
    pub fn method_count(&self) -> i64 {
        let _call = self.enter();
        let (vt, this) = self.lang();
        // SAFETY: live object.
        unsafe { slot!(vt, get_n_methods)(this) }
    }

    /// `FindProp` with `name` exactly as given: an index, or -1.
    pub fn find_prop(&self, name: &str) -> i64 {
        let _call = self.enter();
        self.find_prop_in_call(name)
    }

    fn find_prop_in_call(&self, name: &str) -> i64 {
        let (vt, this) = self.lang();
        let w = wide(name);
        // SAFETY: live object; `w` is NUL-terminated and outlives the call.
        unsafe { slot!(vt, find_prop)(this, w.as_ptr()) }
    }

    /// `FindMethod` with `name` exactly as given: an index, or -1.
    pub fn find_method(&self, name: &str) -> i64 {
        let _call = self.enter();
        self.find_method_in_call(name)
    }

    fn find_method_in_call(&self, name: &str) -> i64 {
        let (vt, this) = self.lang();
        let w = wide(name);
        // SAFETY: live object; `w` is NUL-terminated and outlives the call.
        unsafe { slot!(vt, find_method)(this, w.as_ptr()) }
    }

    /// `GetPropName(n, alias)` (0 English, 1 Russian); the string is checked and freed.
    pub fn prop_name(&self, n: i64, alias: i64) -> Option<String> {
        let _call = self.enter();
        let (vt, this) = self.lang();
        // SAFETY: live object.
        let p = unsafe { slot!(vt, get_prop_name)(this, n, alias) };
        self.take_name(p, "GetPropName")
    }

    /// `GetMethodName(n, alias)` (0 English, 1 Russian); the string is checked and freed.
    pub fn method_name(&self, n: i64, alias: i64) -> Option<String> {
        let _call = self.enter();
        let (vt, this) = self.lang();
        // SAFETY: live object.
        let p = unsafe { slot!(vt, get_method_name)(this, n, alias) };
        self.take_name(p, "GetMethodName")
    }

    fn take_name(&self, p: *const u16, what: &str) -> Option<String> {
        let what = format!("object #{}: {what}", self.id());
        let counters = &self.side.state.counters;
        let name = memory::read_returned_cstr(counters, p, &what);
        if !p.is_null() && block_info(p.cast()).is_some() {
            release(counters, p.cast_mut().cast(), &what);
        }
        name
    }

    /// `IsPropReadable(n)`.
    pub fn is_prop_readable(&self, n: i64) -> bool {
        let _call = self.enter();
        let (vt, this) = self.lang();
        // SAFETY: live object.
        unsafe { slot!(vt, is_prop_readable)(this, n) != 0 }
    }

    /// `IsPropWritable(n)`.
    pub fn is_prop_writable(&self, n: i64) -> bool {
        let _call = self.enter();
        let (vt, this) = self.lang();
        // SAFETY: live object.
        unsafe { slot!(vt, is_prop_writable)(this, n) != 0 }
    }

    /// `GetNParams(m)`.
    pub fn param_count(&self, m: i64) -> i64 {
        let _call = self.enter();
        let (vt, this) = self.lang();
        // SAFETY: live object.
        unsafe { slot!(vt, get_n_params)(this, m) }
    }

    /// `HasRetVal(m)`.
    pub fn has_ret_val(&self, m: i64) -> bool {
        let _call = self.enter();
        let (vt, this) = self.lang();
        // SAFETY: live object.
        unsafe { slot!(vt, has_ret_val)(this, m) != 0 }
    }

    /// `GetParamDefValue(m, p)`: `None` when it answers false (the argument is required).
    pub fn param_default(&self, m: i64, p: i64) -> Option<V> {
        let _call = self.enter();
        let (vt, this) = self.lang();
        let mut var = TVariant::empty();
        // SAFETY: live object; `var` is a valid tVariant.
        let ok = unsafe { slot!(vt, get_param_def_value)(this, m, p, &mut var) } != 0;
        let value = self.take(&mut var, "GetParamDefValue");
        ok.then(|| value.unwrap_or(V::Empty))
    }

    /// `SetLocale(loc)`.
    pub fn set_locale(&self, loc: &str) {
        let _call = self.enter();
        let w = wide(loc);
        // SAFETY: LocaleBase is at offset 16; `w` outlives the call.
        unsafe {
            let (vt, this) = self.vtbl::<LocaleVtbl>(LOCALE_OFFSET);
            slot!(vt, set_locale)(this, w.as_ptr());
        }
    }

    /// `SetUserInterfaceLanguageCode(lang)`.
    pub fn set_language(&self, lang: &str) {
        let _call = self.enter();
        let w = wide(lang);
        // SAFETY: UserLanguageBase is at offset 24; `w` outlives the call.
        unsafe {
            let (vt, this) = self.vtbl::<UserLangVtbl>(USER_LANG_OFFSET);
            slot!(vt, set_user_interface_language_code)(this, w.as_ptr());
        }
    }

    // ----- properties and methods as 1C code uses them -----------------------------------------

    /// `Значение = Объект.<name>`: FindProp → IsPropReadable → GetPropVal.
    pub fn get(&self, name: &str) -> Result<V, CallError> {
        let call = self.enter();
        let n = self.find_prop_in_call(name);
        if n < 0 {
            return Err(CallError::host(
                ErrorKind::NotFound,
                format!("no property {name:?}"),
            ));
        }
        self.get_in_call(&call, n)
    }

    /// `GetPropVal` of the property with index `n`, after `IsPropReadable`.
    pub fn get_index(&self, n: i64) -> Result<V, CallError> {
        let call = self.enter();
        self.get_in_call(&call, n)
    }

    fn get_in_call(&self, call: &Call<'_>, n: i64) -> Result<V, CallError> {
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
        let call = self.enter();
        let n = self.find_prop_in_call(name);
        if n < 0 {
            return Err(CallError::host(
                ErrorKind::NotFound,
                format!("no property {name:?}"),
            ));
        }
        self.set_in_call(&call, n, &value.into())
    }

    /// `SetPropVal` of the property with index `n`, after `IsPropWritable`.
    pub fn set_index(&self, n: i64, value: impl Into<V>) -> Result<(), CallError> {
        let call = self.enter();
        self.set_in_call(&call, n, &value.into())
    }

    fn set_in_call(&self, call: &Call<'_>, n: i64, value: &V) -> Result<(), CallError> {
        let (vt, this) = self.lang();
        // SAFETY: live object.
        if unsafe { slot!(vt, is_prop_writable)(this, n) } == 0 {
            return Err(CallError::host(
                ErrorKind::NotWritable,
                format!("property {n} is not writable"),
            ));
        }
        let mut var = self.to_variant(value);
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
        let call = self.enter();
        let m = self.find_method_in_call(name);
        if m < 0 {
            return Err(CallError::host(
                ErrorKind::NotFound,
                format!("no method {name:?}"),
            ));
        }
        self.call_in_call(&call, m, args)
    }

    /// The call sequence of [`Object::call_out`] for method index `m`.
    pub fn call_index(&self, m: i64, args: &mut [V]) -> Result<V, CallError> {
        let call = self.enter();
        self.call_in_call(&call, m, args)
    }

    fn call_in_call(&self, call: &Call<'_>, m: i64, args: &mut [V]) -> Result<V, CallError> {
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
    // ----- values ------------------------------------------------------------------------------

    fn to_variant(&self, value: &V) -> TVariant {
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
    fn take(&self, var: &mut TVariant, what: &str) -> Result<V, String> {
        let value = self.read_variant(var, what);
        self.free_variant(var, what);
        value
    }

    /// Converts a tVariant, checking the string contract (violations are recorded).
    fn read_variant(&self, var: &TVariant, what: &str) -> Result<V, String> {
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
    fn free_variant(&self, var: &mut TVariant, what: &str) {
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

    // ----- events ------------------------------------------------------------------------------

    /// Waits up to `timeout` for an event matching `pred`, as 1C's idle loop would deliver
    /// it: events are taken from the head of the queue in order; the ones that do not match
    /// are kept in [`Object::seen`]. Holds the call lock while waiting (no call can run, as in
    /// 1C, where events are processed only between calls). Wakes on each `ExternalEvent`.
    pub fn wait_event(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&Event) -> bool,
    ) -> Option<Event> {
        let _calls = lock(&self.call_lock);
        let deadline = Instant::now() + timeout;
        let state = self.side.state;
        let mut queue = state.queue();
        loop {
            while let Some(raw) = queue.events.pop_front() {
                let ev = raw.decode();
                self.remember(raw);
                if pred(&ev) {
                    return Some(ev);
                }
                lock(&self.seen).push(ev);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            queue = state.wait(queue, deadline - now);
        }
    }

    /// The next event within `timeout`, whatever it is.
    pub fn next_event(&self, timeout: Duration) -> Option<Event> {
        self.wait_event(timeout, |_| true)
    }

    /// 1C's idle loop, as cheap as the platform's: waits up to `timeout` until an event is
    /// queued, then takes every queued event at once and hands each to `f` in order, as queued
    /// (UTF-16, not decoded). Returns how many were taken, 0 when none came in time. The events
    /// go to [`Object::history`] (when kept), not to [`Object::seen`]. Holds the call lock
    /// meanwhile, like [`Object::wait_event`].
    pub fn take_events(&self, timeout: Duration, mut f: impl FnMut(&RawEvent)) -> usize {
        let _calls = lock(&self.call_lock);
        let deadline = Instant::now() + timeout;
        let state = self.side.state;
        let mut batch = std::mem::take(&mut *lock(&self.spare));
        {
            let mut queue = state.queue();
            while queue.events.is_empty() {
                let now = Instant::now();
                if now >= deadline {
                    drop(queue);
                    *lock(&self.spare) = batch;
                    return 0;
                }
                queue = state.wait(queue, deadline - now);
            }
            // The add-in's `ExternalEvent` waits for this lock: hold it only for the swap.
            std::mem::swap(&mut queue.events, &mut batch);
        }
        let taken = batch.len();
        for raw in &batch {
            f(raw);
        }
        if self.keep_history.load(Ordering::Relaxed) {
            lock(&self.history).extend(batch.drain(..));
        } else {
            batch.clear();
        }
        *lock(&self.spare) = batch;
        taken
    }

    /// 1C's idle loop taking one event (the oldest) for its handler: waits until one is queued,
    /// or until `deadline`, or until at least `offered` events were offered to the platform
    /// (queued or dropped) and none is left to take. `None` in the last two cases. Holds the
    /// call lock while waiting, like [`Object::wait_event`]; the event goes to the history.
    pub(crate) fn take_next(&self, deadline: Instant, offered: usize) -> Option<Event> {
        let _calls = lock(&self.call_lock);
        let state = self.side.state;
        let mut queue = state.queue();
        loop {
            if let Some(raw) = queue.events.pop_front() {
                drop(queue);
                let ev = raw.decode();
                self.remember(raw);
                return Some(ev);
            }
            let now = Instant::now();
            if queue.offered >= offered || now >= deadline {
                return None;
            }
            queue = state.wait(queue, deadline - now);
        }
    }

    /// Waits until at least `offered` events were offered to the platform (queued or dropped),
    /// or `timeout` passed; false then. Takes nothing from the queue: this is the 1C thread
    /// running long code while the add-in calls `ExternalEvent`.
    pub fn wait_offered(&self, offered: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let state = self.side.state;
        let mut queue = state.queue();
        loop {
            if queue.offered >= offered {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            queue = state.wait(queue, deadline - now);
        }
    }

    /// How many times the add-in called `ExternalEvent` on this object (queued or dropped).
    pub fn offered_events(&self) -> usize {
        self.side.state.queue().offered
    }

    /// Every event queued now, in order, without waiting.
    pub fn drain(&self) -> Vec<Event> {
        let _calls = lock(&self.call_lock);
        let raws: Vec<RawEvent> = self.side.state.queue().events.drain(..).collect();
        let events = raws.iter().map(RawEvent::decode).collect();
        for raw in raws {
            self.remember(raw);
        }
        events
    }

    /// Puts a taken event into the history, if it is kept.
    fn remember(&self, raw: RawEvent) {
        if self.keep_history.load(Ordering::Relaxed) {
            lock(&self.history).push(raw);
        }
    }

    /// Events skipped by [`Object::wait_event`] because they did not match, in order.
    pub fn seen(&self) -> Vec<Event> {
        lock(&self.seen).clone()
    }

    /// Every event delivered so far (matched, skipped, drained or taken), in order, while the
    /// history was kept.
    pub fn history(&self) -> Vec<Event> {
        lock(&self.history).iter().map(RawEvent::decode).collect()
    }

    /// Whether delivered events are kept for [`Object::history`] (true by default). A benchmark
    /// turns it off: 1C keeps nothing, and a long flood would otherwise hold every event.
    pub fn keep_history(&self, keep: bool) {
        self.keep_history.store(keep, Ordering::Relaxed);
    }

    /// Attaches this object to `bell`, which `ExternalEvent` rings with [`Object::id`] whenever
    /// the object's queue goes from empty to not empty: one 1C thread for many objects.
    pub fn ring(&self, bell: &Arc<Bell>) {
        self.side.state.queue().bell = Some(Arc::clone(bell));
    }

    /// How many queued events it takes for `ExternalEvent` to wake this object's waiting 1C
    /// thread (1, the first, unless set). A benchmark sets a whole flood to measure the add-in
    /// with a 1C thread that is busy elsewhere and takes the events afterwards: the add-in's own
    /// cost, without a wake-up of the 1C thread per event (socketio-protocol.md §5.4).
    pub fn wake_1c_at(&self, events: usize) {
        self.side.state.queue().wake_at = events.max(1);
    }

    /// Events lost because the queue was full (1C drops the newest).
    pub fn dropped_events(&self) -> usize {
        self.side.state.queue().dropped
    }

    /// The queue depth the add-in set with `SetEventBufferDepth` (1 until it does).
    pub fn event_buffer_depth(&self) -> usize {
        self.side.state.queue().depth
    }

    /// Events queued and not yet delivered.
    pub fn queued_events(&self) -> usize {
        self.side.state.queue().events.len()
    }

    // ----- diagnostics -------------------------------------------------------------------------

    /// Every `AddError` the add-in made on this object, in order.
    pub fn errors(&self) -> Vec<AddError> {
        self.side.state.errors().clone()
    }

    /// This object's memory manager: blocks live, frees, violations.
    pub fn memory_report(&self) -> MemoryReport {
        self.side.state.counters.report()
    }

    /// The violations recorded against this object so far (those that start `object #N:`).
    pub fn violations(&self) -> Vec<String> {
        object_violations(self.id())
    }

    /// A handle that reports this object's memory and violations, also after it is gone.
    pub fn probe(&self) -> Probe {
        Probe(self.side)
    }

    // ----- teardown ----------------------------------------------------------------------------

    /// `Done()` then `DestroyObject()`, as 1C does when the last reference goes. After `Done`
    /// returns, an `ExternalEvent` on this object is a violation. Errors: `DestroyObject` did not
    /// clear the pointer, or blocks allocated through this object's memory manager are still
    /// live (a leak: everything the add-in returned has been freed by the host).
    pub fn done(mut self) -> Result<(), String> {
        self.finish(Teardown::DestroyObject)
    }

    /// `Done()` then `delete` through the virtual deleting destructor (vtable slot 1), the
    /// OneScript way. Same checks as [`Object::done`].
    pub fn delete(mut self) -> Result<(), String> {
        self.finish(Teardown::DeletingDestructor)
    }

    fn finish(&mut self, how: Teardown) -> Result<(), String> {
        if self.finished {
            return Ok(());
        }
        let id = self.id();
        {
            let _call = self.enter();
            let (vt, this) = self.init_done();
            // SAFETY: live object.
            unsafe { slot!(vt, done)(this) };
        }
        {
            let mut q = self.side.state.queue();
            q.dead = true;
            q.events.clear();
        }
        let mut problems = Vec::new();
        {
            let _calls = lock(&self.call_lock);
            match how {
                Teardown::DestroyObject => {
                    let mut p = self.comp;
                    // SAFETY: `p` is the pointer GetClassObject gave; it is not used again.
                    unsafe { (self.lib.destroy_object_fn())(&mut p) };
                    if !p.is_null() {
                        problems.push("DestroyObject did not set *pIntf to NULL".to_owned());
                    }
                }
                Teardown::DeletingDestructor => {
                    let (vt, this) = self.init_done();
                    // SAFETY: deleting destructor of a live object; it is not used again.
                    unsafe { slot!(vt, dtor_deleting)(this) };
                }
            }
        }
        self.finished = true;
        let report = self.memory_report();
        if report.live_allocations > 0 {
            problems.push(format!(
                "{} block(s), {} bytes, allocated through this object's memory manager are still live",
                report.live_allocations, report.live_bytes
            ));
        }
        if problems.is_empty() {
            return Ok(());
        }
        let text = format!("object #{id}: {}", problems.join("; "));
        record_violation(text.clone());
        Err(text)
    }
}

impl Drop for Object {
    fn drop(&mut self) {
        let _ = self.finish(Teardown::DestroyObject);
    }
}

/// Watches an object also after it is destroyed ([`Object::probe`]).
#[derive(Clone, Copy)]
pub struct Probe(HostSide);

impl Probe {
    /// The object's memory manager counters now.
    pub fn memory(&self) -> MemoryReport {
        self.0.state.counters.report()
    }

    /// The violations recorded against the object so far (those that start `object #N:`).
    pub fn violations(&self) -> Vec<String> {
        object_violations(self.0.state.id)
    }
}

fn object_violations(id: usize) -> Vec<String> {
    let prefix = format!("object #{id}:");
    super::violations()
        .into_iter()
        .filter(|v| v.starts_with(&prefix))
        .collect()
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe")
            .field("memory", &self.memory())
            .field("violations", &self.violations())
            .finish()
    }
}

impl std::fmt::Debug for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Object")
            .field("id", &self.id())
            .field("class", &self.class)
            .finish()
    }
}
