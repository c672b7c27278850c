//! The object that `GetClassObject` hands to 1C: four vptrs (a C++ `IComponentBase`) followed by
//! the Rust state; how a vtable entry finds it again; its lifecycle; its destructors (the first
//! slots of each vtable); and the set of live objects that makes every free happen at most once.
//! Which vtables the vptrs point to is not known here: the interfaces build theirs with
//! [`vtable`], and `exports` hands all four to [`create`].
//!
//! ```text
//! offset (words)  0: vptr -> IInitDoneBase vtable          (this == IComponentBase*)
//!                 1: vptr -> ILanguageExtenderBase vtable
//!                 2: vptr -> LocaleBase vtable
//!                 3: vptr -> UserLanguageBase vtable
//!                 4: State (component, memory manager, connection, event sink)
//! ```
//!
//! The platform static-casts the object to each base by adding the base's offset, so an entry
//! of base `k` receives `object + k words` and subtracts it again ([`from_base`]).
//!
//! The destructors are real functions because OneScript deletes objects through the virtual
//! destructor instead of calling `DestroyObject`; every path frees an object at most once.
//!
//! State is touched only on the 1C thread, inside a platform call, one call at a time; it uses
//! `Cell`/`RefCell` and the object is neither `Send` nor `Sync`. Only the event sink (an `Arc`
//! with its own mutex) is shared with the component's tasks.
#![allow(unsafe_code)]

#[cfg(windows)]
use core::ffi::c_uint;
use core::ffi::c_void;
use std::cell::{Cell, RefCell, RefMut};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::component::{self, Component, ERROR_SOURCE};

use super::connection::{self, Connection, ADDIN_E_FAIL};
use super::guard;
use super::memory::MemoryManager;
use super::platform::{HostEventSink, InitPlatform};
use super::vtable::{DtorFn, Dtors, Vtable};

/// Base number of `IInitDoneBase` (word offset of its vptr).
pub(crate) const INIT_DONE: usize = 0;
/// Base number of `ILanguageExtenderBase`.
pub(crate) const LANGUAGE_EXTENDER: usize = 1;
/// Base number of `LocaleBase`.
pub(crate) const LOCALE: usize = 2;
/// Base number of `UserLanguageBase` (8.3.21+ kits; harmless for older platforms).
pub(crate) const USER_LANGUAGE: usize = 3;
/// How many bases (vptrs) the object has.
pub(crate) const BASES: usize = 4;

/// The add-in object.
#[repr(C)]
pub(crate) struct Object {
    vptrs: [*const c_void; BASES],
    state: State,
}

const _: () = assert!(std::mem::offset_of!(Object, vptrs) == 0);

/// Everything behind the vptrs.
struct State {
    /// The safe component. Borrowed mutably for one component call; a second borrow (a
    /// re-entrant platform call) fails cleanly instead of aliasing.
    component: RefCell<Component>,
    /// From `setMemManager` until `Done`.
    memory: Cell<Option<MemoryManager>>,
    /// From `Init` until `Done`.
    connection: Cell<Option<Connection>>,
    /// The sink handed to the component in `Init`; invalidated in `Done` (or when dropped).
    sink: RefCell<Option<Arc<HostEventSink>>>,
    /// `component.done()` has run since creation or the last `Init`.
    done: Cell<bool>,
}

/// Why an entry failed. Every failure is recorded as `LastError` and reported with
/// `AddError(ADDIN_E_FAIL, ERROR_SOURCE, text, 1)` when a connection is available.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The component refused the call; the text is its own.
    Component(component::Error),
    /// This layer refused: a null pointer, a wrong argument count, no memory manager …
    Abi(String),
    /// A panic was caught; the text is the panic message.
    Panic(String),
}

impl From<component::Error> for Failure {
    fn from(e: component::Error) -> Failure {
        Failure::Component(e)
    }
}

impl Failure {
    fn text(self) -> String {
        match self {
            Failure::Component(e) => e.0,
            Failure::Abi(t) => t,
            Failure::Panic(m) => format!("internal error: {m}"),
        }
    }
}

/// Creates an object whose base `k` points to `vptrs[k]`, registers it as live and returns its
/// `IComponentBase*`.
pub(crate) fn create(vptrs: [*const c_void; BASES]) -> *mut c_void {
    let object = Box::new(Object {
        vptrs,
        state: State {
            component: RefCell::new(Component::new()),
            memory: Cell::new(None),
            connection: Cell::new(None),
            sink: RefCell::new(None),
            done: Cell::new(false),
        },
    });
    let raw = Box::into_raw(object);
    live().push(raw as usize);
    raw.cast()
}

/// The object whose base `BASE` is at `this` (null stays null). Pure address arithmetic: the
/// result is only as valid as `this`.
pub(crate) fn from_base<const BASE: usize>(this: *mut c_void) -> *mut Object {
    if this.is_null() {
        return std::ptr::null_mut();
    }
    this.wrapping_byte_sub(BASE * size_of::<*const c_void>())
        .cast()
}

/// Addresses of the objects created and not yet dropped. Destructor paths check it, so that a
/// second delete of the same object, or a pointer that is not ours, is ignored instead of
/// freeing twice.
static LIVE: Mutex<Vec<usize>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<usize>> {
    crate::sync::lock(&LIVE)
}

/// Removes `obj` from the live set; false when it was not there.
fn unregister(obj: *mut Object) -> bool {
    let mut live = live();
    match live.iter().position(|&a| a == obj as usize) {
        Some(i) => {
            live.swap_remove(i);
            true
        }
        None => false,
    }
}

/// Drops and frees an object (`DestroyObject`, the deleting destructors). Returns false, doing
/// nothing, for null or a pointer that is not a live object.
///
/// # Safety
/// `obj` is null, or an address that is either a live object from [`create`] or not used by
/// any object (a stale or foreign pointer is detected by the live set, as long as its address
/// has not been reused for a new object). No reference to the object may be alive.
pub(crate) unsafe fn destroy(obj: *mut Object) -> bool {
    if obj.is_null() || !unregister(obj) {
        return false;
    }
    // SAFETY: `obj` was live, so it came from `Box::into_raw` in `create` and has not been
    // freed; it is now unregistered, so no other path frees it again.
    drop(unsafe { Box::from_raw(obj) });
    true
}

/// Ends an object's life without freeing its memory (Itanium D1). The memory is leaked.
///
/// # Safety
/// As [`destroy`].
pub(crate) unsafe fn drop_without_free(obj: *mut Object) -> bool {
    if obj.is_null() || !unregister(obj) {
        return false;
    }
    // SAFETY: live until now (see `destroy`), unregistered so never dropped again; the memory
    // is deliberately not freed.
    unsafe { std::ptr::drop_in_place(obj) };
    true
}

/// The vtable of base `BASE` of the object: its destructors, then the interface's `methods`.
pub(crate) const fn vtable<const BASE: usize, T>(methods: T) -> Vtable<T> {
    let dtors: Dtors<DtorFn> = Dtors {
        #[cfg(not(windows))]
        complete: complete_dtor::<BASE>,
        #[cfg(not(windows))]
        deleting: deleting_dtor::<BASE>,
        #[cfg(windows)]
        deleting: msvc_deleting_dtor::<BASE>,
    };
    Vtable::new::<BASE>(dtors, methods)
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
        unsafe { drop_without_free(from_base::<BASE>(this)) };
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
        unsafe { destroy(from_base::<BASE>(this)) };
    });
}

/// The body of MSVC's deleting destructor; returns `this` as MSVC's does.
///
/// # Safety
/// `this` is null or base `BASE` of an object from `GetClassObject` (checked against the live
/// set before use).
#[cfg(windows)]
unsafe fn msvc_dtor_body<const BASE: usize>(this: *mut c_void, flags: c_uint) -> *mut c_void {
    guard::or_fail((), || {
        let obj = from_base::<BASE>(this);
        if flags & 1 != 0 {
            // SAFETY: forwarded contract; looked up in the live set before use.
            unsafe { destroy(obj) };
        } else {
            // SAFETY: as above.
            unsafe { drop_without_free(obj) };
        }
    });
    this
}

/// MSVC deleting destructor, x86: `thiscall`.
///
/// # Safety
/// As [`msvc_dtor_body`].
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
/// As [`msvc_dtor_body`].
#[cfg(all(windows, not(target_arch = "x86")))]
unsafe extern "system" fn msvc_deleting_dtor<const BASE: usize>(
    this: *mut c_void,
    flags: c_uint,
) -> *mut c_void {
    // SAFETY: forwarded contract.
    unsafe { msvc_dtor_body::<BASE>(this, flags) }
}

/// Runs the body of a vtable entry of base `BASE`: null `this` → `fail`; a panic or an `Err`
/// → the failure is recorded and reported, and the entry returns `fail`.
///
/// # Safety
/// `this` is null or base `BASE` of a live object, called on the thread the platform uses
/// for this object, not concurrently with another call on it, and not after it was destroyed.
pub(crate) unsafe fn enter<const BASE: usize, R>(
    this: *mut c_void,
    fail: R,
    body: impl FnOnce(&Object) -> Result<R, Failure>,
) -> R {
    let obj = from_base::<BASE>(this);
    if obj.is_null() {
        return fail;
    }
    // SAFETY: a live object (caller); only shared references are made, state mutation goes
    // through Cell/RefCell, and the platform does not call it concurrently (caller).
    let obj: &Object = unsafe { &*obj };
    match guard::catch(|| body(obj)) {
        Ok(Ok(value)) => value,
        Ok(Err(failure)) => {
            obj.report(failure);
            fail
        }
        Err(panic) => {
            obj.report(Failure::Panic(panic));
            fail
        }
    }
}

impl Object {
    /// The component, borrowed for one call.
    pub(crate) fn component(&self) -> Result<RefMut<'_, Component>, Failure> {
        self.state.component.try_borrow_mut().map_err(|_| {
            Failure::Abi(
                "the platform called the add-in again while a call was still running".to_owned(),
            )
        })
    }

    /// The memory manager, if the platform has given one.
    pub(crate) fn memory(&self) -> Option<MemoryManager> {
        self.state.memory.get()
    }

    /// The memory manager, or the failure that says it is missing.
    pub(crate) fn require_memory(&self) -> Result<MemoryManager, Failure> {
        self.memory().ok_or_else(|| {
            Failure::Abi(
                "the platform has not provided a memory manager (setMemManager)".to_owned(),
            )
        })
    }

    /// `LastError` + `AddError` for a failure. Never panics out.
    fn report(&self, failure: Failure) {
        let _ = guard::catch(|| {
            let text = failure.text();
            if let Ok(mut component) = self.state.component.try_borrow_mut() {
                component.record_error(&text);
            }
            if let Some(conn) = self.state.connection.get() {
                conn.add_error(ADDIN_E_FAIL, ERROR_SOURCE, &text, 1);
            }
        });
    }

    /// `setMemManager`: stores (or, for null, forgets) the memory manager.
    ///
    /// # Safety
    /// `mem` is null or an `IMemoryManager*` valid until `Done`.
    pub(crate) unsafe fn set_memory(&self, mem: *mut c_void) -> bool {
        // SAFETY: forwarded contract; the state forgets it in `Done`.
        let mem = unsafe { MemoryManager::from_raw(mem) };
        self.state.memory.set(mem);
        mem.is_some()
    }

    /// `Init`: stores the connection, makes a fresh event sink over it, then lets the component
    /// initialise itself. A second `Init` first cuts the previous sink off.
    ///
    /// # Safety
    /// `disp` is null or an `IAddInDefBase*` valid until `Done`.
    pub(crate) unsafe fn init(&self, disp: *mut c_void) -> Result<bool, Failure> {
        // SAFETY: forwarded contract; the state forgets it in `Done`.
        let connection = unsafe { Connection::from_raw(disp) };
        if let Some(old) = self.state.sink.borrow_mut().take() {
            old.invalidate();
        }
        self.state.connection.set(connection);
        let sink = HostEventSink::new(connection.map(Connection::event_target));
        *self.state.sink.borrow_mut() = Some(Arc::clone(&sink));
        self.state.done.set(false);
        let platform = InitPlatform {
            connection,
            capabilities: connection::capabilities(),
            sink,
        };
        Ok(self.component()?.init(Box::new(platform)))
    }

    /// `Done`: the component stops and joins its tasks, THEN the event sink is cut off (so no
    /// `ExternalEvent` starts after this returns, and one in progress has finished), THEN the
    /// connection and memory manager are forgotten. Safe without `Init` and when repeated.
    pub(crate) fn done(&self) {
        match guard::catch(|| self.stop_component()) {
            Ok(Ok(())) => {}
            Ok(Err(failure)) => self.report(failure),
            Err(panic) => self.report(Failure::Panic(panic)),
        }
        self.cut_off_sink();
        self.state.connection.set(None);
        self.state.memory.set(None);
    }

    /// `component.done()`, once per `Init`.
    fn stop_component(&self) -> Result<(), Failure> {
        if !self.state.done.get() {
            self.component()?.done();
            self.state.done.set(true);
        }
        Ok(())
    }

    fn cut_off_sink(&self) {
        let sink = match self.state.sink.try_borrow_mut() {
            Ok(mut slot) => slot.take(),
            Err(_) => None,
        };
        if let Some(sink) = sink {
            sink.invalidate();
        }
    }
}

impl Drop for Object {
    /// Destroyed without `Done` (a probing host, or a host that skips it): stop the component
    /// and cut the sink off here, so no task outlives the object.
    fn drop(&mut self) {
        let _ = guard::catch(|| self.stop_component());
        let _ = guard::catch(|| self.cut_off_sink());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An object without vtables: these tests never call through its vptrs.
    fn create() -> *mut c_void {
        super::create([std::ptr::null(); BASES])
    }

    #[test]
    fn bases_are_consecutive_words() {
        let obj = create();
        let base = obj.cast::<u8>();
        let w = size_of::<usize>();
        assert_eq!(from_base::<INIT_DONE>(obj), obj.cast());
        assert_eq!(
            from_base::<LANGUAGE_EXTENDER>(base.wrapping_add(w).cast()),
            obj.cast()
        );
        assert_eq!(
            from_base::<LOCALE>(base.wrapping_add(2 * w).cast()),
            obj.cast()
        );
        assert_eq!(
            from_base::<USER_LANGUAGE>(base.wrapping_add(3 * w).cast()),
            obj.cast()
        );
        assert!(from_base::<USER_LANGUAGE>(std::ptr::null_mut()).is_null());
        // SAFETY: `obj` came from `create`; the second call finds it unregistered.
        unsafe {
            assert!(destroy(obj.cast()));
            assert!(!destroy(obj.cast()));
        }
    }

    #[test]
    fn done_twice_and_without_init_is_harmless() {
        let obj = create();
        // SAFETY: live object for the whole block; destroyed at the end.
        unsafe {
            let o = &*obj.cast::<Object>();
            o.done();
            o.done();
            assert!(o.memory().is_none());
            assert!(destroy(obj.cast()));
        }
    }

    #[test]
    fn failures_are_recorded_as_last_error() {
        let obj = create();
        let last_error = |o: &Object| {
            o.state
                .component
                .borrow()
                .get_prop(crate::component::Prop::LastError as usize)
        };
        // SAFETY: live object for the whole block; destroyed at the end.
        unsafe {
            let r = enter::<INIT_DONE, bool>(obj, true, |_| Err(Failure::Abi("nope".into())));
            assert!(r);
            let o = &*obj.cast::<Object>();
            assert_eq!(
                last_error(o),
                Ok(crate::value::Value::String("nope".into()))
            );
            let r = enter::<INIT_DONE, i32>(obj, -1, |_| panic!("kaput"));
            assert_eq!(r, -1);
            assert_eq!(
                last_error(o),
                Ok(crate::value::Value::String("internal error: kaput".into()))
            );
            assert_eq!(
                enter::<INIT_DONE, i32>(std::ptr::null_mut(), -2, |_| Ok(1)),
                -2
            );
            assert!(destroy(obj.cast()));
        }
    }
}
