//! The platform side that one add-in object sees: `IAddInDefBaseEx` with 1C's external-event
//! queue, `IPlatformInfo`, `IMsgBox`, `IAttachedInfo` and the object's `IMemoryManager`.
//!
//! Everything here is allocated once per object and deliberately never freed ([`HostSide`]):
//! an add-in that keeps calling `ExternalEvent` after `Done` then hits a live object that records
//! the violation, instead of freed memory.

use std::collections::VecDeque;
use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::SystemTime;

use super::bell::Bell;
use super::event::RawEvent;
use super::ffi::{append_units, decode_lossy, read_wstr, wide, wstr_len, TVariant, MAX_WSTR};
use super::memory::{count_bad, Breach, Counters, MemObj};
use super::{guard_callback, lock, record_violation, HostOptions};

/// One `IAddInDefBase::AddError` call, as recorded by the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddError {
    /// `wcode`: how 1C would show it (`ADDIN_E_*`, 1000–1009).
    pub wcode: u16,
    /// `source`.
    pub source: String,
    /// `descr`: the text 1C shows and puts into the exception.
    pub descr: String,
    /// `scode`: non-zero makes 1C raise an exception.
    pub scode: i64,
}

/// 1C's per-object external-event queue (native-api.md §5).
#[derive(Debug)]
pub(crate) struct Queue {
    pub events: VecDeque<RawEvent>,
    /// `SetEventBufferDepth`; 1 until the add-in changes it.
    pub depth: usize,
    /// Events refused because the queue was full (the newest is the one lost).
    pub dropped: usize,
    /// Every `ExternalEvent` call that found the object alive: queued or dropped.
    pub offered: usize,
    /// Set when `Done` has returned: any `ExternalEvent` afterwards is a violation.
    pub dead: bool,
    /// Threads asleep on `queue_cv` that no `ExternalEvent` has woken yet: only the first event
    /// after they fell asleep wakes them (a wake-up is a system call; one per event while the
    /// woken thread has not run yet would be a wasted one each).
    pub sleepers: usize,
    /// Counts the wake-ups `ExternalEvent` sent, so that a sleeper that returns without one
    /// (timeout, spurious wake-up) knows it still counts in `sleepers`.
    pub wakes: u64,
    /// How many queued events wake the sleepers (1: the first). See `Object::wake_1c_at`.
    pub wake_at: usize,
    /// Rung when the queue goes from empty to not empty (see `Object::ring`).
    pub bell: Option<Arc<Bell>>,
}

/// The host's state for one add-in object, shared by all of its platform interfaces.
pub(crate) struct HostState {
    pub id: usize,
    pub opts: HostOptions,
    pub counters: Arc<Counters>,
    /// Tag of the thread inside a component call on this object, 0 when none.
    in_call: AtomicU64,
    pub queue: Mutex<Queue>,
    pub queue_cv: Condvar,
    pub errors: Mutex<Vec<AddError>>,
}

/// A small, stable number per thread (std's `ThreadId::as_u64` is unstable).
pub(crate) fn thread_tag() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local!(static TAG: u64 = NEXT.fetch_add(1, Ordering::Relaxed));
    TAG.with(|t| *t)
}

impl HostState {
    pub fn queue(&self) -> MutexGuard<'_, Queue> {
        lock(&self.queue)
    }

    /// Waits up to `timeout` for `ExternalEvent` to signal (spurious wake-ups possible).
    pub fn wait<'a>(
        &'a self,
        mut queue: MutexGuard<'a, Queue>,
        timeout: std::time::Duration,
    ) -> MutexGuard<'a, Queue> {
        let wakes = queue.wakes;
        queue.sleepers += 1;
        let mut queue = self
            .queue_cv
            .wait_timeout(queue, timeout)
            .unwrap_or_else(|e| e.into_inner())
            .0;
        if queue.wakes == wakes {
            // Not woken by an event: still counted as asleep.
            queue.sleepers -= 1;
        }
        queue
    }

    pub fn errors(&self) -> MutexGuard<'_, Vec<AddError>> {
        lock(&self.errors)
    }

    /// Marks the calling thread as being inside a component call (or none with `false`).
    pub fn set_in_call(&self, inside: bool) {
        self.in_call
            .store(if inside { thread_tag() } else { 0 }, Ordering::SeqCst);
    }

    /// Platform interfaces other than `ExternalEvent` are only usable from the thread that is
    /// inside a call to the add-in (native-api.md §6): record a violation otherwise.
    pub fn check_thread(&self, what: &str) {
        let current = self.in_call.load(Ordering::SeqCst);
        if current != thread_tag() {
            count_bad(&self.counters, Breach::WrongThread);
            let when = if current == 0 {
                "while no call is in progress"
            } else {
                "from another thread"
            };
            record_violation(format!("object #{}: {what} called {when}", self.id));
        }
    }
}

// ----- IAddInDefBaseEx ------------------------------------------------------------------------

#[repr(C)]
struct ConnVtbl {
    offset_to_top: isize,
    typeinfo: usize,
    dtor_complete: unsafe extern "C" fn(*mut ConnObj),
    dtor_deleting: unsafe extern "C" fn(*mut ConnObj),
    add_error: unsafe extern "C" fn(*mut ConnObj, u16, *const u16, *const u16, i64) -> bool,
    read: unsafe extern "C" fn(
        *mut ConnObj,
        *mut u16,
        *mut TVariant,
        *mut i64,
        *mut *mut u16,
    ) -> bool,
    write: unsafe extern "C" fn(*mut ConnObj, *mut u16, *mut TVariant) -> bool,
    register_profile_as: unsafe extern "C" fn(*mut ConnObj, *mut u16) -> bool,
    set_event_buffer_depth: unsafe extern "C" fn(*mut ConnObj, i64) -> bool,
    get_event_buffer_depth: unsafe extern "C" fn(*mut ConnObj) -> i64,
    external_event: unsafe extern "C" fn(*mut ConnObj, *mut u16, *mut u16, *mut u16) -> bool,
    clean_event_buffer: unsafe extern "C" fn(*mut ConnObj),
    set_status_line: unsafe extern "C" fn(*mut ConnObj, *mut u16) -> bool,
    reset_status_line: unsafe extern "C" fn(*mut ConnObj),
    get_interface: unsafe extern "C" fn(*mut ConnObj, c_int) -> *mut c_void,
}

static CONN_VTBL: ConnVtbl = ConnVtbl {
    offset_to_top: 0,
    typeinfo: 0,
    dtor_complete: conn_dtor,
    dtor_deleting: conn_dtor,
    add_error,
    read,
    write,
    register_profile_as,
    set_event_buffer_depth,
    get_event_buffer_depth,
    external_event,
    clean_event_buffer,
    set_status_line,
    reset_status_line,
    get_interface,
};

const CONN_MAGIC: u64 = 0x4144_4449_4E44_4546; // "ADDINDEF"

#[repr(C)]
struct ConnObj {
    vptr: *const c_void,
    magic: u64,
    state: &'static HostState,
    platform_info: *mut PlatformInfoObj,
    msgbox: *mut MsgBoxObj,
    attached: *mut AttachedObj,
}

/// Resolves `this` of an `IAddInDefBase` callback.
///
/// # Safety
/// `this` must be null or point to at least `size_of::<ConnObj>()` readable bytes.
unsafe fn conn<'a>(this: *mut ConnObj, what: &str) -> Option<&'a ConnObj> {
    // SAFETY: per the contract; the magic check catches a wrong `this`.
    let obj = unsafe { this.as_ref() }?;
    if obj.magic != CONN_MAGIC {
        record_violation(format!(
            "IAddInDefBase::{what} called with a `this` that is not the host's IAddInDefBase"
        ));
        return None;
    }
    Some(obj)
}

/// Reads one NUL-terminated argument of a callback, recording a violation if it is unusable.
fn arg(state: &HostState, p: *const u16, what: &str) -> Option<String> {
    // SAFETY: the add-in passes a NUL-terminated UTF-16 string (or null, caught here).
    match unsafe { read_wstr(p, MAX_WSTR) } {
        Some(units) => Some(decode_lossy(&units)),
        None => {
            record_violation(format!(
                "object #{}: {what}: null or unterminated string",
                state.id
            ));
            None
        }
    }
}

/// The length of one NUL-terminated argument of a callback, recording a violation if it is
/// unusable.
fn arg_len(state: &HostState, p: *const u16, what: &str) -> Option<usize> {
    // SAFETY: the add-in passes a NUL-terminated UTF-16 string (or null, caught here).
    match unsafe { wstr_len(p, MAX_WSTR) } {
        Some(len) => Some(len),
        None => {
            record_violation(format!(
                "object #{}: {what}: null or unterminated string",
                state.id
            ));
            None
        }
    }
}

unsafe extern "C" fn conn_dtor(_this: *mut ConnObj) {
    guard_callback("IAddInDefBase::~IAddInDefBase", || {
        record_violation("the add-in called the destructor of the host's IAddInDefBase".into());
    });
}

unsafe extern "C" fn add_error(
    this: *mut ConnObj,
    wcode: u16,
    source: *const u16,
    descr: *const u16,
    scode: i64,
) -> bool {
    guard_callback("IAddInDefBase::AddError", || {
        // SAFETY: `this` is the pointer we handed to Init.
        let Some(c) = (unsafe { conn(this, "AddError") }) else {
            return false;
        };
        c.state.check_thread("AddError");
        let source = arg(c.state, source, "AddError source").unwrap_or_default();
        let descr = arg(c.state, descr, "AddError descr").unwrap_or_default();
        c.state.errors().push(AddError {
            wcode,
            source,
            descr,
            scode,
        });
        true
    })
    .unwrap_or(false)
}

unsafe extern "C" fn read(
    this: *mut ConnObj,
    _name: *mut u16,
    _val: *mut TVariant,
    _err: *mut i64,
    _descr: *mut *mut u16,
) -> bool {
    guard_callback("IAddInDefBase::Read", || {
        // SAFETY: `this` is the pointer we handed to Init.
        if let Some(c) = unsafe { conn(this, "Read") } {
            c.state.check_thread("Read");
        }
        false // no stored profile values in this host
    })
    .unwrap_or(false)
}

unsafe extern "C" fn write(this: *mut ConnObj, _name: *mut u16, _val: *mut TVariant) -> bool {
    guard_callback("IAddInDefBase::Write", || {
        // SAFETY: `this` is the pointer we handed to Init.
        let Some(c) = (unsafe { conn(this, "Write") }) else {
            return false;
        };
        c.state.check_thread("Write");
        true
    })
    .unwrap_or(false)
}

unsafe extern "C" fn register_profile_as(this: *mut ConnObj, _name: *mut u16) -> bool {
    guard_callback("IAddInDefBase::RegisterProfileAs", || {
        // SAFETY: `this` is the pointer we handed to Init.
        let Some(c) = (unsafe { conn(this, "RegisterProfileAs") }) else {
            return false;
        };
        c.state.check_thread("RegisterProfileAs");
        true
    })
    .unwrap_or(false)
}

unsafe extern "C" fn set_event_buffer_depth(this: *mut ConnObj, depth: i64) -> bool {
    guard_callback("IAddInDefBase::SetEventBufferDepth", || {
        // SAFETY: `this` is the pointer we handed to Init.
        let Some(c) = (unsafe { conn(this, "SetEventBufferDepth") }) else {
            return false;
        };
        c.state.check_thread("SetEventBufferDepth");
        if depth < 1 {
            return false;
        }
        let mut q = c.state.queue();
        q.depth = depth as usize;
        // "If the number of events exceeds the queue size, the latest events are deleted."
        while q.events.len() > q.depth {
            q.events.pop_back();
            q.dropped += 1;
        }
        true
    })
    .unwrap_or(false)
}

unsafe extern "C" fn get_event_buffer_depth(this: *mut ConnObj) -> i64 {
    guard_callback("IAddInDefBase::GetEventBufferDepth", || {
        // SAFETY: `this` is the pointer we handed to Init.
        let Some(c) = (unsafe { conn(this, "GetEventBufferDepth") }) else {
            return 0;
        };
        c.state.check_thread("GetEventBufferDepth");
        c.state.queue().depth as i64
    })
    .unwrap_or(0)
}

unsafe extern "C" fn external_event(
    this: *mut ConnObj,
    source: *mut u16,
    message: *mut u16,
    data: *mut u16,
) -> bool {
    guard_callback("IAddInDefBase::ExternalEvent", || {
        // SAFETY: `this` is the pointer we handed to Init.
        let Some(c) = (unsafe { conn(this, "ExternalEvent") }) else {
            return false;
        };
        let st = c.state;
        // When the platform got it: a benchmark's latency ends here.
        let received_at = SystemTime::now();
        // Copy the strings before anything else, as 1C does: the caller frees them on return.
        // As they are (UTF-16), all three into one buffer.
        let (Some(source_len), Some(event_len), Some(data_len)) = (
            arg_len(st, source, "ExternalEvent source"),
            arg_len(st, message, "ExternalEvent message"),
            arg_len(st, data, "ExternalEvent data"),
        ) else {
            return false;
        };
        let mut units = Vec::with_capacity(source_len + event_len + data_len);
        // SAFETY: `arg_len` found that many readable units before each NUL.
        unsafe {
            append_units(source, source_len, &mut units);
            append_units(message, event_len, &mut units);
            append_units(data, data_len, &mut units);
        }
        let ev = RawEvent::new(units, source_len, source_len + event_len, received_at);
        let mut q = st.queue();
        if q.dead {
            drop(q);
            record_violation(format!(
                "object #{}: ExternalEvent after Done returned: {:?}",
                st.id,
                ev.decode()
            ));
            return false;
        }
        q.offered += 1;
        let kept = q.events.len() < q.depth;
        if kept {
            q.events.push_back(ev);
            if let (1, Some(bell)) = (q.events.len(), &q.bell) {
                bell.ring(st.id);
            }
        } else {
            q.dropped += 1;
        }
        // Wake the sleepers once; they no longer count as asleep. A drop wakes them too: a 1C
        // thread emulator may wait until every event it expects was offered.
        let wake = q.sleepers > 0 && (!kept || q.events.len() >= q.wake_at);
        if wake {
            q.sleepers = 0;
            q.wakes += 1;
        }
        drop(q);
        if wake {
            st.queue_cv.notify_all();
        }
        kept || !st.opts.event_overflow_returns_false
    })
    .unwrap_or(false)
}

unsafe extern "C" fn clean_event_buffer(this: *mut ConnObj) {
    guard_callback("IAddInDefBase::CleanEventBuffer", || {
        // SAFETY: `this` is the pointer we handed to Init.
        if let Some(c) = unsafe { conn(this, "CleanEventBuffer") } {
            c.state.check_thread("CleanEventBuffer");
            c.state.queue().events.clear();
        }
    });
}

unsafe extern "C" fn set_status_line(this: *mut ConnObj, _text: *mut u16) -> bool {
    guard_callback("IAddInDefBase::SetStatusLine", || {
        // SAFETY: `this` is the pointer we handed to Init.
        let Some(c) = (unsafe { conn(this, "SetStatusLine") }) else {
            return false;
        };
        c.state.check_thread("SetStatusLine");
        true
    })
    .unwrap_or(false)
}

unsafe extern "C" fn reset_status_line(this: *mut ConnObj) {
    guard_callback("IAddInDefBase::ResetStatusLine", || {
        // SAFETY: `this` is the pointer we handed to Init.
        if let Some(c) = unsafe { conn(this, "ResetStatusLine") } {
            c.state.check_thread("ResetStatusLine");
        }
    });
}

/// `Interfaces` enum: eIMsgBox = 0, eIPlatformInfo = 1, eIAttachedInfo = 2 (desktop).
unsafe extern "C" fn get_interface(this: *mut ConnObj, iface: c_int) -> *mut c_void {
    guard_callback("IAddInDefBaseEx::GetInterface", || {
        // SAFETY: `this` is the pointer we handed to Init.
        let Some(c) = (unsafe { conn(this, "GetInterface") }) else {
            return std::ptr::null_mut();
        };
        c.state.check_thread("GetInterface");
        if !c.state.opts.offer_platform_info {
            return std::ptr::null_mut();
        }
        match iface {
            0 => c.msgbox.cast(),
            1 => c.platform_info.cast(),
            2 => c.attached.cast(),
            _ => std::ptr::null_mut(),
        }
    })
    .unwrap_or(std::ptr::null_mut())
}

// ----- IPlatformInfo, IMsgBox, IAttachedInfo (no destructor slot) -----------------------------

/// `struct AppInfo` (24 bytes on 64-bit).
#[repr(C)]
struct AppInfo {
    app_version: *const u16,
    user_agent: *const u16,
    application: c_int,
}

#[repr(C)]
struct PlatformInfoVtbl {
    offset_to_top: isize,
    typeinfo: usize,
    get_platform_info: unsafe extern "C" fn(*mut PlatformInfoObj) -> *const AppInfo,
}

static PLATFORM_INFO_VTBL: PlatformInfoVtbl = PlatformInfoVtbl {
    offset_to_top: 0,
    typeinfo: 0,
    get_platform_info,
};

#[repr(C)]
struct PlatformInfoObj {
    vptr: *const c_void,
    info: AppInfo,
    // Own the strings `info` points at (their heap buffers never move).
    _version: Vec<u16>,
    _user_agent: Vec<u16>,
}

unsafe extern "C" fn get_platform_info(this: *mut PlatformInfoObj) -> *const AppInfo {
    // SAFETY: `this` is the pointer GetInterface returned; it is never freed.
    match unsafe { this.as_ref() } {
        Some(obj) => &obj.info,
        None => {
            record_violation("IPlatformInfo::GetPlatformInfo with a null `this`".into());
            std::ptr::null()
        }
    }
}

#[repr(C)]
struct MsgBoxVtbl {
    offset_to_top: isize,
    typeinfo: usize,
    confirm: unsafe extern "C" fn(*mut MsgBoxObj, *const u16, *mut TVariant) -> bool,
    alert: unsafe extern "C" fn(*mut MsgBoxObj, *const u16) -> bool,
}

static MSGBOX_VTBL: MsgBoxVtbl = MsgBoxVtbl {
    offset_to_top: 0,
    typeinfo: 0,
    confirm,
    alert,
};

#[repr(C)]
struct MsgBoxObj {
    vptr: *const c_void,
}

/// `IMsgBox::Confirm`: answers "yes" (VTYPE_BOOL true).
unsafe extern "C" fn confirm(_this: *mut MsgBoxObj, _text: *const u16, ret: *mut TVariant) -> bool {
    guard_callback("IMsgBox::Confirm", || {
        // SAFETY: `ret` is null or the add-in's tVariant.
        if let Some(ret) = unsafe { ret.as_mut() } {
            ret.set_bool(true);
        }
        true
    })
    .unwrap_or(false)
}

unsafe extern "C" fn alert(_this: *mut MsgBoxObj, _text: *const u16) -> bool {
    true
}

#[repr(C)]
struct AttachedVtbl {
    offset_to_top: isize,
    typeinfo: usize,
    get_attached_info: unsafe extern "C" fn(*mut AttachedObj) -> c_int,
}

static ATTACHED_VTBL: AttachedVtbl = AttachedVtbl {
    offset_to_top: 0,
    typeinfo: 0,
    get_attached_info,
};

#[repr(C)]
struct AttachedObj {
    vptr: *const c_void,
}

/// `AttachedType`: eAttachedIsolated = 0, eAttachedNotIsolated = 1.
unsafe extern "C" fn get_attached_info(_this: *mut AttachedObj) -> c_int {
    1
}

// ----- one object's platform ------------------------------------------------------------------

/// The platform interfaces of one add-in object: the pointers handed to `Init` and
/// `setMemManager`, and the shared state behind them. Leaked on purpose (about 1 KiB per object)
/// so that late calls from the add-in land on live memory and are reported.
#[derive(Clone, Copy)]
pub(crate) struct HostSide {
    pub state: &'static HostState,
    conn: *mut ConnObj,
    mem: *mut MemObj,
}

// SAFETY: the pointed-to objects are leaked (live for the whole process), immutable after
// construction, and all their mutable state is behind mutexes and atomics in `HostState`.
unsafe impl Send for HostSide {}
// SAFETY: as above.
unsafe impl Sync for HostSide {}

impl HostSide {
    pub fn new(id: usize, opts: &HostOptions) -> HostSide {
        let state: &'static HostState = Box::leak(Box::new(HostState {
            id,
            opts: opts.clone(),
            counters: Arc::new(Counters::new()),
            in_call: AtomicU64::new(0),
            queue: Mutex::new(Queue {
                events: VecDeque::new(),
                depth: 1,
                dropped: 0,
                offered: 0,
                dead: false,
                sleepers: 0,
                wakes: 0,
                wake_at: 1,
                bell: None,
            }),
            queue_cv: Condvar::new(),
            errors: Mutex::new(Vec::new()),
        }));
        let version = wide(&opts.app_version);
        let user_agent = wide(&opts.user_agent);
        let platform_info = Box::into_raw(Box::new(PlatformInfoObj {
            vptr: std::ptr::addr_of!(PLATFORM_INFO_VTBL.get_platform_info).cast(),
            info: AppInfo {
                app_version: version.as_ptr(),
                user_agent: user_agent.as_ptr(),
                application: opts.app_type,
            },
            _version: version,
            _user_agent: user_agent,
        }));
        let msgbox = Box::into_raw(Box::new(MsgBoxObj {
            vptr: std::ptr::addr_of!(MSGBOX_VTBL.confirm).cast(),
        }));
        let attached = Box::into_raw(Box::new(AttachedObj {
            vptr: std::ptr::addr_of!(ATTACHED_VTBL.get_attached_info).cast(),
        }));
        let conn = Box::into_raw(Box::new(ConnObj {
            vptr: std::ptr::addr_of!(CONN_VTBL.dtor_complete).cast(),
            magic: CONN_MAGIC,
            state,
            platform_info,
            msgbox,
            attached,
        }));
        let mem = Box::into_raw(Box::new(MemObj::new(state)));
        HostSide { state, conn, mem }
    }

    /// The `IAddInDefBaseEx*` to pass to `Init`.
    pub fn connection(&self) -> *mut c_void {
        self.conn.cast()
    }

    /// The `IMemoryManager*` to pass to `setMemManager`.
    pub fn memory_manager(&self) -> *mut c_void {
        self.mem.cast()
    }
}
