//! Unit tests of the entry points with the Rust fakes of the platform (`memory::fake`,
//! `connection::fake`), called as plain Rust functions in this process. The end-to-end tests
//! through the built library (Rust and C++ hosts) live in `tests/`.
#![allow(unsafe_code)]

use core::ffi::{c_long, c_void};
use std::ptr;

use super::connection::fake::FakeConnection;
use super::memory::fake::FakeMemoryManager;
use super::object::{self, Object, INIT_DONE, LANGUAGE_EXTENDER, LOCALE, USER_LANGUAGE};
use super::variant::{self, vt, TVariant};
use super::vtable::DTOR_SLOTS;
use super::{exports, extender, init_done, locale, methods, wstr};
use crate::component::{Component, ERROR_SOURCE};
use crate::value::Value;
use crate::wide;

/// Slot `n` (counted after the destructor slots) of the vtable that the vptr at `base` names,
/// as the platform reads it.
///
/// # Safety
/// `base` is a base pointer of a live object and `n` is within that vtable.
unsafe fn slot<F: Copy>(base: *mut c_void, n: usize) -> F {
    assert_eq!(size_of::<F>(), size_of::<usize>());
    // SAFETY: the vptr is the first word at `base`; the slot is in range (caller); `F` is a
    // function pointer type of the slot's signature (caller).
    unsafe {
        let word = *(*base.cast::<*const usize>()).add(DTOR_SLOTS + n);
        std::mem::transmute_copy::<usize, F>(&word)
    }
}

type InitFn = unsafe extern "system" fn(*mut c_void, *mut c_void) -> bool;
type GetInfoFn = unsafe extern "system" fn(*mut c_void) -> c_long;
type DoneFn = unsafe extern "system" fn(*mut c_void);

/// `Init` through slot 0 of base 0.
unsafe fn init(obj: *mut c_void, disp: *mut c_void) -> bool {
    // SAFETY: live object (caller); slot 0 of IInitDoneBase is Init.
    unsafe { slot::<InitFn>(obj, 0)(obj, disp) }
}

/// `setMemManager` through slot 1 of base 0.
unsafe fn set_mem_manager(obj: *mut c_void, mem: *mut c_void) -> bool {
    // SAFETY: live object (caller); slot 1 is setMemManager.
    unsafe { slot::<InitFn>(obj, 1)(obj, mem) }
}

/// `GetInfo` through slot 2 of base 0.
unsafe fn get_info(obj: *mut c_void) -> c_long {
    // SAFETY: live object (caller); slot 2 is GetInfo.
    unsafe { slot::<GetInfoFn>(obj, 2)(obj) }
}

/// `Done` through slot 3 of base 0.
unsafe fn done(obj: *mut c_void) {
    // SAFETY: live object (caller); slot 3 is Done.
    unsafe { slot::<DoneFn>(obj, 3)(obj) }
}

/// One object with a fake memory manager and a fake connection attached (through the real
/// `setMemManager` and `Init` entries).
struct Fixture {
    obj: *mut c_void,
    mm: Box<FakeMemoryManager>,
    conn: Box<FakeConnection>,
}

impl Fixture {
    fn new() -> Fixture {
        let mm = FakeMemoryManager::new();
        let conn = FakeConnection::new(0);
        let obj = exports::new_object();
        let mm_ptr: *mut c_void = ptr::from_ref(&*mm).cast_mut().cast();
        // SAFETY: `obj` is live; the fakes outlive it (it is destroyed first, in Drop).
        unsafe {
            assert!(set_mem_manager(obj, mm_ptr));
            assert!(init(obj, conn.as_raw()));
        }
        Fixture { obj, mm, conn }
    }

    /// Base `k` of the object, as the platform would pass it.
    fn base(&self, k: usize) -> *mut c_void {
        self.obj
            .cast::<u8>()
            .wrapping_add(k * size_of::<usize>())
            .cast()
    }

    fn object(&self) -> &Object {
        // SAFETY: live until Drop.
        unsafe { &*self.obj.cast::<Object>() }
    }

    fn errors(&self) -> Vec<String> {
        self.conn
            .log
            .lock()
            .unwrap()
            .errors
            .iter()
            .map(|e| e.2.clone())
            .collect()
    }

    fn last_error(&self) -> Value {
        self.object()
            .component()
            .unwrap()
            .get_prop(crate::component::Prop::LastError as usize)
            .unwrap()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // SAFETY: the object is live and no reference to it remains.
        unsafe {
            done(self.obj);
            assert!(object::destroy(self.obj.cast()));
        }
    }
}

fn wstr_of(s: &str) -> Vec<u16> {
    wide::to_wide_nul(s)
}

/// Reads a platform-allocated name and frees it.
fn take_name(fx: &Fixture, p: *const u16) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated string allocated by the fake.
    let s = unsafe { wstr::read_nul_terminated(p) };
    // SAFETY: allocated by this fake manager.
    unsafe { fx.mm.handle().free(p.cast_mut().cast()) };
    s
}

#[test]
fn lifecycle_in_either_order_and_done_cuts_everything() {
    let fx = Fixture::new();
    // SAFETY: live object.
    assert_eq!(unsafe { get_info(fx.obj) }, 2000);
    assert!(fx.object().memory().is_some());

    // Init before setMemManager works as well.
    let other = exports::new_object();
    let conn = FakeConnection::new(1);
    let mm = FakeMemoryManager::new();
    // SAFETY: `other` is live; the fakes outlive it.
    unsafe {
        assert!(init(other, conn.as_raw()));
        assert!(set_mem_manager(
            other,
            ptr::from_ref(&*mm).cast_mut().cast()
        ));
        done(other);
        done(other);
        let o = &*other.cast::<Object>();
        assert!(o.memory().is_none());
        assert!(object::destroy(other.cast()));
    }
}

#[test]
fn vptrs_point_into_the_static_vtables() {
    let obj = exports::new_object();
    // SAFETY: `obj` is live; the vptrs are plain words at its start.
    let vptrs = unsafe { std::slice::from_raw_parts(obj.cast::<*const c_void>(), object::BASES) };
    assert_eq!(vptrs[INIT_DONE], init_done::VTABLE.vptr());
    assert_eq!(vptrs[LANGUAGE_EXTENDER], extender::VTABLE.vptr());
    assert_eq!(vptrs[LOCALE], locale::LOCALE_VTABLE.vptr());
    assert_eq!(vptrs[USER_LANGUAGE], locale::USER_LANGUAGE_VTABLE.vptr());
    // SAFETY: live object, no references left.
    assert!(unsafe { object::destroy(obj.cast()) });
}

#[test]
fn done_without_init_then_destroy() {
    let obj = exports::new_object();
    // SAFETY: live object, destroyed last.
    unsafe {
        done(obj);
        let mut out = obj;
        assert_eq!(exports::DestroyObject(&mut out), 0);
        assert!(out.is_null());
    }
}

#[test]
fn register_extension_and_names_come_from_the_platform_allocator() {
    let fx = Fixture::new();
    let mut ext: *mut u16 = ptr::null_mut();
    let b = fx.base(LANGUAGE_EXTENDER);
    // SAFETY: base 1 of a live object; valid out pointer.
    unsafe {
        assert!(call_register(b, &mut ext));
    }
    assert_eq!(take_name(&fx, ext).as_deref(), Some("Client"));
    // SAFETY: base 1 of a live object.
    let (en, ru, none, neg) = unsafe {
        (
            get_prop_name(b, 0, 0),
            get_prop_name(b, 0, 1),
            get_prop_name(b, 999, 0),
            get_prop_name(b, -1, 0),
        )
    };
    assert_eq!(take_name(&fx, en).as_deref(), Component::prop_name(0, 0));
    assert_eq!(take_name(&fx, ru).as_deref(), Component::prop_name(0, 1));
    assert!(none.is_null() && neg.is_null());
    assert_eq!(fx.mm.live_count(), 0);
}

/// `RegisterExtensionAs` through slot 0 of base 1.
unsafe fn call_register(b: *mut c_void, ext: *mut *mut u16) -> bool {
    type F = unsafe extern "system" fn(*mut c_void, *mut *mut u16) -> bool;
    // SAFETY: `b` is base 1 of a live object (caller); slot 0 is RegisterExtensionAs.
    unsafe { slot::<F>(b, 0)(b, ext) }
}

/// `GetPropName` through slot 3 of base 1.
unsafe fn get_prop_name(b: *mut c_void, n: c_long, alias: c_long) -> *const u16 {
    type F = unsafe extern "system" fn(*mut c_void, c_long, c_long) -> *const u16;
    // SAFETY: `b` is base 1 of a live object (caller); slot 3 is GetPropName.
    unsafe { slot::<F>(b, 3)(b, n, alias) }
}

#[test]
fn without_memory_manager_names_fail_with_an_error() {
    let obj = exports::new_object();
    let conn = FakeConnection::new(0);
    let b = obj
        .cast::<u8>()
        .wrapping_add(size_of::<usize>())
        .cast::<c_void>();
    let mut ext: *mut u16 = ptr::null_mut();
    // SAFETY: live object; fakes outlive it.
    unsafe {
        assert!(init(obj, conn.as_raw()));
        assert!(!call_register(b, &mut ext));
        assert!(ext.is_null());
        assert!(get_prop_name(b, 0, 0).is_null());
        done(obj);
        assert!(object::destroy(obj.cast()));
    }
    let log = conn.log.lock().unwrap();
    assert_eq!(log.errors.len(), 2);
    assert!(log
        .errors
        .iter()
        .all(|e| e.0 == 1006 && e.1 == ERROR_SOURCE && e.3 == 1));
    assert!(log.errors[0].2.contains("memory manager"));
}

#[test]
fn find_members_in_any_case_and_unknown_is_minus_one() {
    let fx = Fixture::new();
    let b = fx.base(LANGUAGE_EXTENDER);
    // SAFETY: base 1 of a live object; NUL-terminated names or null.
    unsafe {
        assert_eq!(
            methods::find_method(b, wstr_of("offall").as_ptr()),
            long(Component::find_method("OffAll"))
        );
        assert_eq!(methods::find_method(b, wstr_of("нет такого").as_ptr()), -1);
        assert_eq!(methods::find_method(b, ptr::null()), -1);
        assert_eq!(
            methods::find_method(ptr::null_mut(), wstr_of("OffAll").as_ptr()),
            -1
        );
        assert_eq!(methods::get_n_params(b, -5), 0);
        assert!(!methods::has_ret_val(b, -1));
    }
}

fn long(i: Option<usize>) -> c_long {
    i.map_or(-1, |i| i as c_long)
}

#[test]
fn call_with_wrong_count_or_null_array_is_refused() {
    let fx = Fixture::new();
    let b = fx.base(LANGUAGE_EXTENDER);
    let connect = long(Component::find_method("Connect"));
    let off_all = long(Component::find_method("OffAll"));
    // SAFETY: base 1 of a live object; null arrays are refused before any read.
    unsafe {
        assert!(!methods::call_as_proc(b, connect, ptr::null_mut(), 0));
        assert!(!methods::call_as_proc(b, connect, ptr::null_mut(), 1));
        assert!(!methods::call_as_proc(b, -1, ptr::null_mut(), 0));
        // A zero-argument method with a null array reaches the component.
        methods::call_as_proc(b, off_all, ptr::null_mut(), 0);
    }
    let errors = fx.errors();
    assert!(errors[0].contains("takes 1 argument"), "{errors:?}");
    assert!(errors[1].contains("null argument array"), "{errors:?}");
    assert!(errors[2].contains("no method"), "{errors:?}");
    assert_eq!(
        fx.last_error(),
        Value::String(errors.last().unwrap().clone())
    );
}

#[test]
fn call_as_func_needs_a_return_variant() {
    let fx = Fixture::new();
    let b = fx.base(LANGUAGE_EXTENDER);
    let off_all = long(Component::find_method("OffAll"));
    // SAFETY: all-zero is a valid (empty) variant.
    let mut ret: TVariant = unsafe { std::mem::zeroed() };
    // SAFETY: base 1 of a live object; `ret` is writable; null `ret` is refused.
    unsafe {
        assert!(!methods::call_as_func(
            b,
            off_all,
            ptr::null_mut(),
            ptr::null_mut(),
            0
        ));
        let ok = methods::call_as_func(b, off_all, &mut ret, ptr::null_mut(), 0);
        if ok {
            // A procedure called as a function returns Неопределено.
            assert_eq!(ret.vt, vt::EMPTY);
        }
    }
    assert!(fx.errors()[0].contains("null return variant"));
}

#[test]
fn get_event_without_an_event_leaves_its_out_parameters_alone() {
    let fx = Fixture::new();
    let b = fx.base(LANGUAGE_EXTENDER);
    let get_event = long(Component::find_method("GetEvent"));
    // SAFETY: all-zero is a valid (empty) variant.
    let mut params: [TVariant; 3] = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut ret: TVariant = unsafe { std::mem::zeroed() };
    let mm = Some(fx.mm.handle());
    // SAFETY: local variants; the strings come from the fake platform allocator.
    unsafe {
        variant::write_new(&mut params[0], &Value::String("старое".into()), mm).unwrap();
        variant::write_new(&mut params[1], &Value::String("data".into()), mm).unwrap();
    }
    // SAFETY: PWSTR written just above.
    let before = unsafe { [params[0].value.wstr.ptr, params[1].value.wstr.ptr] };
    // SAFETY: base 1 of a live object; three readable and writable variants.
    assert!(unsafe { methods::call_as_func(b, get_event, &mut ret, params.as_mut_ptr(), 3) });
    // SAFETY: `ret` was written by the call.
    assert_eq!(unsafe { variant::read(&ret) }, Ok(Value::Bool(false)));
    // SAFETY: the parameters are still the PWSTRs written above.
    let after = unsafe { [params[0].value.wstr.ptr, params[1].value.wstr.ptr] };
    assert_eq!(before, after);
    assert_eq!(fx.mm.live_count(), 2);
    assert_eq!(*fx.mm.bad_frees.lock().unwrap(), 0);
    for p in before {
        // SAFETY: allocated by this fake manager, freed once.
        unsafe { fx.mm.handle().free(p.cast()) };
    }
}

#[test]
fn property_values_round_trip_through_the_entries() {
    let fx = Fixture::new();
    let b = fx.base(LANGUAGE_EXTENDER);
    let last_error = crate::component::Prop::LastError as c_long;
    fx.object().component().unwrap().record_error("сбой");
    // SAFETY: all-zero is a valid (empty) variant.
    let mut v: TVariant = unsafe { std::mem::zeroed() };
    // SAFETY: base 1 of a live object; `v` is writable.
    unsafe {
        assert!(get_prop_val(b, last_error, &mut v));
        assert_eq!(variant::read(&v).unwrap(), Value::String("сбой".into()));
        fx.mm.handle().free(v.value.wstr.ptr.cast());
        assert!(!get_prop_val(b, last_error, ptr::null_mut()));
        assert!(!get_prop_val(b, -1, &mut v));
    }
    assert_eq!(fx.mm.live_count(), 0);
}

/// `GetPropVal` through slot 4 of base 1.
unsafe fn get_prop_val(b: *mut c_void, n: c_long, v: *mut TVariant) -> bool {
    type F = unsafe extern "system" fn(*mut c_void, c_long, *mut TVariant) -> bool;
    // SAFETY: `b` is base 1 of a live object (caller); slot 4 is GetPropVal.
    unsafe { slot::<F>(b, 4)(b, n, v) }
}

#[test]
fn language_entries_accept_null_and_text() {
    let fx = Fixture::new();
    // SAFETY: bases 2 and 3 of a live object; NUL-terminated or null strings.
    unsafe {
        call_language(fx.base(LOCALE), wstr_of("ru_RU").as_ptr());
        call_language(fx.base(USER_LANGUAGE), wstr_of("ru").as_ptr());
        call_language(fx.base(USER_LANGUAGE), ptr::null());
    }
    assert!(fx.errors().is_empty());
}

/// Slot 0 of base 2 or 3 (`SetLocale` / `SetUserInterfaceLanguageCode`).
unsafe fn call_language(b: *mut c_void, s: *const u16) {
    type F = unsafe extern "system" fn(*mut c_void, *const u16);
    // SAFETY: `b` is base 2 or 3 of a live object (caller); slot 0 has this signature.
    unsafe { slot::<F>(b, 0)(b, s) }
}

#[test]
fn exports() {
    // SAFETY: static NUL-terminated string.
    let names = unsafe { wstr::read_nul_terminated(exports::GetClassNames()) };
    assert_eq!(names.as_deref(), Some("Client"));
    assert_eq!(exports::GetAttachType(), 3);
    assert_eq!(exports::SetPlatformCapabilities(3), 3);
    let mut out: *mut c_void = ptr::null_mut();
    // SAFETY: valid names and slots, or nulls that are refused.
    unsafe {
        assert_eq!(
            exports::GetClassObject(wstr_of("Nope").as_ptr(), &mut out),
            0
        );
        assert!(out.is_null());
        assert_eq!(exports::GetClassObject(ptr::null(), &mut out), 0);
        assert_eq!(
            exports::GetClassObject(wstr_of("Client").as_ptr(), ptr::null_mut()),
            0
        );
        assert_eq!(
            exports::GetClassObject(wstr_of("Client").as_ptr(), &mut out),
            1
        );
        assert!(!out.is_null());
        let copy = out;
        assert_eq!(exports::DestroyObject(&mut out), 0);
        assert!(out.is_null());
        // A second destroy of the same (now dead) pointer is refused, not a double free.
        let mut again = copy;
        assert_eq!(exports::DestroyObject(&mut again), -1);
        assert_eq!(exports::DestroyObject(ptr::null_mut()), -1);
    }
}

#[cfg(not(windows))]
#[test]
fn deleting_destructor_of_any_base_frees_once() {
    let obj = exports::new_object();
    // SAFETY: `obj` is live; slot 1 of every vtable is the Itanium deleting destructor.
    unsafe {
        let b = obj
            .cast::<u8>()
            .add(2 * size_of::<usize>())
            .cast::<c_void>();
        let d0: unsafe extern "C" fn(*mut c_void) =
            std::mem::transmute(*(*b.cast::<*const usize>()).add(1));
        d0(b);
        // The object is gone: DestroyObject and a second delete are refused.
        let mut out = obj;
        assert_eq!(exports::DestroyObject(&mut out), -1);
        d0(b);
    }
}

#[test]
fn entries_survive_a_null_this() {
    // SAFETY: null `this` is refused before anything is read.
    unsafe {
        assert_eq!(extender::get_n_props(ptr::null_mut()), 0);
        assert!(!extender::register_extension_as(
            ptr::null_mut(),
            ptr::null_mut()
        ));
        assert!(!methods::call_as_proc(
            ptr::null_mut(),
            0,
            ptr::null_mut(),
            0
        ));
        assert!(!init_done::init(ptr::null_mut(), ptr::null_mut()));
        assert_eq!(init_done::get_info(ptr::null_mut()), 0);
        init_done::done(ptr::null_mut());
        locale::set_locale(ptr::null_mut(), ptr::null());
    }
}
