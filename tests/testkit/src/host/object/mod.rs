//! One add-in object driven through its vtables the way 1C drives it: creation, the
//! `ILanguageExtenderBase` calls one by one, teardown. Properties and methods as 1C code uses
//! them are in `members`, values across the ABI in `variant`, taking events in `events`.

use std::collections::VecDeque;
use std::ffi::c_void;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard};

use super::event::{Event, RawEvent};
use super::ffi::{
    wide, InitDoneVtbl, LangExtVtbl, LocaleVtbl, TVariant, This, UserLangVtbl, INIT_DONE_OFFSET,
    LANG_EXT_OFFSET, LOCALE_OFFSET, USER_LANG_OFFSET,
};
use super::library::Library;
use super::memory::{self, block_info, release, MemoryReport};
use super::platform::{AddError, HostSide, HostState};
use super::value::{CallError, ErrorKind, V};
use super::{lock, record_violation};

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

mod events;
mod members;
mod variant;

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
        let (vt, this) = self.lang();
        let w = wide(name);
        // SAFETY: live object; `w` is NUL-terminated and outlives the call.
        unsafe { slot!(vt, find_prop)(this, w.as_ptr()) }
    }

    /// `FindMethod` with `name` exactly as given: an index, or -1.
    pub fn find_method(&self, name: &str) -> i64 {
        let _call = self.enter();
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
