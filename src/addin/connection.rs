//! The platform's `IAddInDefBase` / `IAddInDefBaseEx` (what `Init` receives): `AddError`,
//! the event buffer depth, `ExternalEvent` and `GetInterface(eIPlatformInfo)`; and the
//! capability level from `SetPlatformCapabilities`, which says whether `GetInterface` exists.
//!
//! Threads: everything here runs on the 1C thread inside a platform call, except
//! [`EventTarget::external_event`], the one call made from the dispatcher's thread (and only
//! through `platform::HostEventSink`, which serialises it and cuts it off at `Done`).
#![allow(unsafe_code)]

use core::ffi::{c_int, c_long, c_void};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicI32, Ordering};

use crate::host::AppType;
use crate::wide;

use super::vtable::Dtors;

/// `wcode` of `AddError` that shows the message with the error icon (`ADDIN_E_FAIL`).
pub(crate) const ADDIN_E_FAIL: u16 = 1006;

/// The level the platform passed to `SetPlatformCapabilities`; 0 until it does (old platforms
/// never call it, and then `IAddInDefBaseEx::GetInterface` must not be used).
static PLATFORM_CAPABILITIES: AtomicI32 = AtomicI32::new(0);

/// Remembers the capability level from `SetPlatformCapabilities`.
pub(crate) fn set_capabilities(level: c_int) {
    PLATFORM_CAPABILITIES.store(level, Ordering::Release);
}

/// The capability level the platform announced (0 when it did not).
pub(crate) fn capabilities() -> i32 {
    PLATFORM_CAPABILITIES.load(Ordering::Acquire)
}

/// `Interfaces::eIPlatformInfo`.
const E_IPLATFORM_INFO: c_int = 1;

/// Where, inside an interface object, the `IInterface*` that `GetInterface` returns points
/// (native-api.md §2.2). The interfaces derive from the empty, non-polymorphic `IInterface`:
/// Itanium puts that base at offset 0, with the vptr, but MSVC lays it out *after* the vfptr,
/// so on Windows the platform's implicit up-cast hands us the object's address plus one
/// pointer. Reading the vptr there would read the object's first data word and crash 1C.
const IINTERFACE_OFFSET: usize = if cfg!(windows) {
    core::mem::size_of::<usize>()
} else {
    0
};

/// The object behind a non-null `IInterface*` from `GetInterface`: what the kit's
/// `(IPlatformInfo*)p` down-cast computes (a no-op on Itanium, minus one pointer under MSVC).
fn interface_object<T>(iface: *mut c_void) -> *mut T {
    iface
        .cast::<u8>()
        .wrapping_sub(IINTERFACE_OFFSET)
        .cast::<T>()
}

type AddErrorFn =
    unsafe extern "system" fn(*mut RawConnection, u16, *const u16, *const u16, c_long) -> bool;
type SetDepthFn = unsafe extern "system" fn(*mut RawConnection, c_long) -> bool;
type GetDepthFn = unsafe extern "system" fn(*mut RawConnection) -> c_long;
type ExternalEventFn =
    unsafe extern "system" fn(*mut RawConnection, *mut u16, *mut u16, *mut u16) -> bool;
type GetInterfaceFn = unsafe extern "system" fn(*mut RawConnection, c_int) -> *mut c_void;
type GetPlatformInfoFn = unsafe extern "system" fn(*mut RawPlatformInfo) -> *const AppInfo;

/// The vtable of `IAddInDefBaseEx` (native-api.md §2.2). Slots we never call are plain words;
/// `get_interface` exists only in the `Ex` interface and is read only when the platform's
/// capability level says it is there.
#[repr(C)]
pub(crate) struct ConnectionVtbl {
    _dtors: Dtors<usize>,
    add_error: Option<AddErrorFn>,
    _read: usize,
    _write: usize,
    _register_profile_as: usize,
    set_event_buffer_depth: Option<SetDepthFn>,
    get_event_buffer_depth: Option<GetDepthFn>,
    external_event: Option<ExternalEventFn>,
    _clean_event_buffer: usize,
    _set_status_line: usize,
    _reset_status_line: usize,
    get_interface: Option<GetInterfaceFn>,
}

/// An `IAddInDefBase` object: its vptr.
#[repr(C)]
pub(crate) struct RawConnection {
    vtbl: *const ConnectionVtbl,
}

/// `IPlatformInfo`: derives from the empty, non-virtual `IInterface`, no destructor slot.
#[repr(C)]
struct RawPlatformInfo {
    vtbl: *const PlatformInfoVtbl,
}

#[repr(C)]
struct PlatformInfoVtbl {
    get_platform_info: Option<GetPlatformInfoFn>,
}

/// `struct AppInfo { const WCHAR_T* AppVersion; const WCHAR_T* UserAgentInformation;
/// AppType Application; }`.
#[repr(C)]
pub(crate) struct AppInfo {
    app_version: *const u16,
    user_agent: *const u16,
    application: c_int,
}

/// A handle on the platform's connection, for the 1C thread.
///
/// Invariant: the pointer came from `Init` and is valid until `Done` returns; the object keeps
/// it only between those calls and copies it only for the length of one platform call on the
/// 1C thread (it is `!Send`). Under that invariant the methods are safe.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Connection(NonNull<RawConnection>);

impl Connection {
    /// Wraps the pointer from `Init`; `None` for null.
    ///
    /// # Safety
    /// `p` is null or a valid `IAddInDefBase*` that stays valid while the value or a copy of it
    /// is used.
    pub(crate) unsafe fn from_raw(p: *mut c_void) -> Option<Connection> {
        NonNull::new(p.cast::<RawConnection>()).map(Connection)
    }

    fn vtbl(self) -> *const ConnectionVtbl {
        // SAFETY: a live connection object (type invariant) starts with its vptr.
        unsafe { (*self.0.as_ptr()).vtbl }
    }

    /// `AddError(wcode, source, descr, scode)`; `scode != 0` makes 1C raise an exception when
    /// the current call returns.
    pub(crate) fn add_error(self, wcode: u16, source: &str, descr: &str, scode: i32) -> bool {
        // SAFETY: reads one slot of the host's vtable (type invariant: live object).
        let Some(f) = (unsafe { (*self.vtbl()).add_error }) else {
            return false;
        };
        let source = wide::to_wide_nul(source);
        let descr = wide::to_wide_nul(descr);
        #[allow(clippy::useless_conversion)] // `long` is i32 on Windows, i64 on LP64
        let scode = c_long::from(scode);
        // SAFETY: the slot has the kit's signature; both strings are NUL-terminated and outlive
        // the call (the platform copies them).
        unsafe {
            f(
                self.0.as_ptr(),
                wcode,
                source.as_ptr(),
                descr.as_ptr(),
                scode,
            )
        }
    }

    /// `SetEventBufferDepth(depth)`.
    pub(crate) fn set_event_buffer_depth(self, depth: i32) -> bool {
        // SAFETY: reads one slot (type invariant).
        let Some(f) = (unsafe { (*self.vtbl()).set_event_buffer_depth }) else {
            return false;
        };
        #[allow(clippy::useless_conversion)] // `long` is i32 on Windows, i64 on LP64
        let depth = c_long::from(depth);
        // SAFETY: kit signature; plain integer argument.
        unsafe { f(self.0.as_ptr(), depth) }
    }

    /// `GetEventBufferDepth()`; `None` when the slot is missing or the value does not fit `i32`.
    // Not part of `host::Platform` yet; kept so that the component can read the depth back.
    #[allow(dead_code)]
    pub(crate) fn event_buffer_depth(self) -> Option<i32> {
        // SAFETY: reads one slot (type invariant).
        let f = unsafe { (*self.vtbl()).get_event_buffer_depth }?;
        // SAFETY: kit signature, no arguments.
        let depth = unsafe { f(self.0.as_ptr()) };
        #[allow(clippy::useless_conversion, clippy::unnecessary_fallible_conversions)]
        // `long` is i32 on Windows
        i32::try_from(depth).ok()
    }

    /// `GetInterface(eIPlatformInfo)->GetPlatformInfo()->Application`.
    ///
    /// `capabilities` is the level the platform passed to `SetPlatformCapabilities`: below
    /// `eAppCapabilities1` the connection may be a plain `IAddInDefBase` whose vtable has no
    /// `GetInterface` slot, so it is not even read.
    pub(crate) fn app_type(self, capabilities: i32) -> AppType {
        if capabilities < 1 {
            return AppType::Unknown;
        }
        // SAFETY: capability ≥ 1 means an `IAddInDefBaseEx`, whose vtable has this slot.
        let Some(get_interface) = (unsafe { (*self.vtbl()).get_interface }) else {
            return AppType::Unknown;
        };
        // SAFETY: kit signature; returns an `IInterface*` or null.
        let iface = unsafe { get_interface(self.0.as_ptr(), E_IPLATFORM_INFO) };
        if iface.is_null() {
            return AppType::Unknown;
        }
        let info = interface_object::<RawPlatformInfo>(iface);
        // SAFETY: a non-null answer to eIPlatformInfo is the `IInterface` base of an
        // `IPlatformInfo`, which `interface_object` turned back into the object; its vptr is at
        // offset 0 and its slot 0 is `GetPlatformInfo` (no destructor slot).
        let Some(get_info) = (unsafe { (*(*info).vtbl).get_platform_info }) else {
            return AppType::Unknown;
        };
        // SAFETY: kit signature; returns a platform-owned `const AppInfo*` or null.
        let app = unsafe { get_info(info) };
        if app.is_null() {
            return AppType::Unknown;
        }
        // SAFETY: non-null `AppInfo*` from the platform; only the `int` field is read.
        AppType::from_raw(unsafe { (*app).application })
    }

    /// The part of this connection that may cross threads.
    pub(crate) fn event_target(self) -> EventTarget {
        EventTarget(self.0)
    }
}

/// The connection pointer as the dispatcher's thread may use it: `ExternalEvent` only.
///
/// Lives only inside `HostEventSink`'s mutex, which is cleared in `Done` after the component's
/// tasks have stopped; so the pointer is never used after `Done` returns.
#[derive(Debug)]
pub(crate) struct EventTarget(NonNull<RawConnection>);

// SAFETY: the only operation is `ExternalEvent`, the platform call that the kit's samples and
// real add-ins make from worker threads (native-api.md §5); `HostEventSink` serialises the calls
// with its mutex and drops the value at `Done`, before the pointer dies.
unsafe impl Send for EventTarget {}

impl EventTarget {
    /// `ExternalEvent(source, message, data)`. Each slice is copied with a NUL appended unless it
    /// already ends with one, so a slice without a terminator can never be over-read.
    pub(crate) fn external_event(&self, source: &[u16], message: &[u16], data: &[u16]) -> bool {
        // SAFETY: live connection (type invariant above); reads two words.
        let Some(f) = (unsafe { (*(*self.0.as_ptr()).vtbl).external_event }) else {
            return false;
        };
        let source = wide::ensure_nul(source);
        let message = wide::ensure_nul(message);
        let data = wide::ensure_nul(data);
        // SAFETY: kit signature; three NUL-terminated buffers that outlive the call. The kit
        // declares them `WCHAR_T*` without `const`, but the platform only copies them.
        unsafe {
            f(
                self.0.as_ptr(),
                source.as_ptr().cast_mut(),
                message.as_ptr().cast_mut(),
                data.as_ptr().cast_mut(),
            )
        }
    }
}

/// A connection written in Rust for unit tests: records every call.
#[cfg(any(test, fuzzing))]
pub(crate) mod fake {
    use super::super::vtable::UNUSED_DTORS;
    use super::*;
    use std::sync::Mutex;

    #[derive(Debug, Default)]
    pub(crate) struct Log {
        pub(crate) errors: Vec<(u16, String, String, c_long)>,
        pub(crate) events: Vec<(String, String, String)>,
        pub(crate) depth: c_long,
        pub(crate) get_interface_calls: usize,
    }

    #[repr(C)]
    pub(crate) struct FakeConnection {
        base: RawConnection,
        info: RawPlatformInfo,
        pub(crate) app: AppInfo,
        pub(crate) log: Mutex<Log>,
    }

    // SAFETY: test-only; the raw pointers point to statics or are null.
    unsafe impl Sync for FakeConnection {}
    // SAFETY: as above.
    unsafe impl Send for FakeConnection {}

    static VTBL: ConnectionVtbl = ConnectionVtbl {
        _dtors: UNUSED_DTORS,
        add_error: Some(add_error),
        _read: 0,
        _write: 0,
        _register_profile_as: 0,
        set_event_buffer_depth: Some(set_depth),
        get_event_buffer_depth: Some(get_depth),
        external_event: Some(external_event),
        _clean_event_buffer: 0,
        _set_status_line: 0,
        _reset_status_line: 0,
        get_interface: Some(get_interface),
    };

    static INFO_VTBL: PlatformInfoVtbl = PlatformInfoVtbl {
        get_platform_info: Some(get_platform_info),
    };

    fn me<'a>(this: *mut RawConnection) -> &'a FakeConnection {
        // SAFETY: tests pass only FakeConnection (repr(C), base first).
        unsafe { &*this.cast::<FakeConnection>() }
    }

    fn s(p: *const u16) -> String {
        // SAFETY: the code under test passes NUL-terminated strings.
        unsafe { crate::addin::wstr::read_nul_terminated(p) }.unwrap()
    }

    unsafe extern "system" fn add_error(
        this: *mut RawConnection,
        w: u16,
        src: *const u16,
        d: *const u16,
        sc: c_long,
    ) -> bool {
        me(this)
            .log
            .lock()
            .unwrap()
            .errors
            .push((w, s(src), s(d), sc));
        true
    }
    unsafe extern "system" fn set_depth(this: *mut RawConnection, d: c_long) -> bool {
        me(this).log.lock().unwrap().depth = d;
        true
    }
    unsafe extern "system" fn get_depth(this: *mut RawConnection) -> c_long {
        me(this).log.lock().unwrap().depth
    }
    unsafe extern "system" fn external_event(
        this: *mut RawConnection,
        a: *mut u16,
        b: *mut u16,
        c: *mut u16,
    ) -> bool {
        me(this).log.lock().unwrap().events.push((s(a), s(b), s(c)));
        true
    }
    unsafe extern "system" fn get_interface(this: *mut RawConnection, which: c_int) -> *mut c_void {
        let me = me(this);
        me.log.lock().unwrap().get_interface_calls += 1;
        if which == E_IPLATFORM_INFO {
            // As the platform's implicit up-cast to `IInterface*` does (past the vfptr on MSVC).
            std::ptr::from_ref(&me.info)
                .cast::<u8>()
                .wrapping_add(IINTERFACE_OFFSET)
                .cast_mut()
                .cast()
        } else {
            std::ptr::null_mut()
        }
    }
    unsafe extern "system" fn get_platform_info(this: *mut RawPlatformInfo) -> *const AppInfo {
        // SAFETY: `info` sits right after `base` in the repr(C) FakeConnection.
        let me = unsafe {
            &*this
                .byte_sub(std::mem::offset_of!(FakeConnection, info))
                .cast::<FakeConnection>()
        };
        &me.app
    }

    impl FakeConnection {
        pub(crate) fn new(app_type: c_int) -> Box<FakeConnection> {
            Box::new(FakeConnection {
                base: RawConnection { vtbl: &VTBL },
                info: RawPlatformInfo { vtbl: &INFO_VTBL },
                app: AppInfo {
                    app_version: std::ptr::null(),
                    user_agent: std::ptr::null(),
                    application: app_type,
                },
                log: Mutex::new(Log::default()),
            })
        }

        /// The `void*` that `Init` would receive.
        pub(crate) fn as_raw(&self) -> *mut c_void {
            std::ptr::from_ref(&self.base).cast_mut().cast()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::FakeConnection;
    use super::*;

    #[test]
    fn calls_reach_the_right_slots() {
        let fake = FakeConnection::new(3);
        // SAFETY: the fake outlives every use below.
        let conn = unsafe { Connection::from_raw(fake.as_raw()) }.unwrap();
        assert!(conn.add_error(ADDIN_E_FAIL, "SocketIO", "текст", 1));
        assert!(conn.set_event_buffer_depth(100));
        assert_eq!(conn.event_buffer_depth(), Some(100));
        assert!(conn.event_target().external_event(
            &wide::to_wide("a"),
            &wide::to_wide_nul("b"),
            &[]
        ));
        let log = fake.log.lock().unwrap();
        assert_eq!(
            log.errors,
            vec![(1006, "SocketIO".into(), "текст".into(), 1)]
        );
        assert_eq!(log.events, vec![("a".into(), "b".into(), "".into())]);
    }

    #[test]
    fn platform_info_needs_capability_one() {
        let fake = FakeConnection::new(3);
        // SAFETY: the fake outlives every use below.
        let conn = unsafe { Connection::from_raw(fake.as_raw()) }.unwrap();
        assert_eq!(conn.app_type(0), AppType::Unknown);
        assert_eq!(fake.log.lock().unwrap().get_interface_calls, 0);
        assert_eq!(conn.app_type(3), AppType::Server);
        assert_eq!(fake.log.lock().unwrap().get_interface_calls, 1);
    }
}
