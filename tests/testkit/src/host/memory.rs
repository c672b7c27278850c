//! The platform's `IMemoryManager`, instrumented.
//!
//! Every block handed out by `AllocMemory` (and every string the host itself passes to the
//! add-in) carries a header canary and a tail canary and is entered in one process-wide registry.
//! `FreeMemory` of a pointer that is not in the registry (a foreign or a double free), or of a
//! block whose canaries were overwritten, is recorded as a violation instead of reaching the
//! allocator, so a broken add-in fails the test at the next check rather than corrupting the heap.

use std::alloc::{alloc, dealloc, Layout};
use std::collections::{HashMap, HashSet};
use std::ffi::{c_ulong, c_void};
use std::fmt::Display;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::platform::HostState;
use super::{guard_callback, record_violation};

const HEAD_MAGIC: u64 = 0x1C1C_A110_C8ED_B10C;
const TAIL_MAGIC: u64 = 0xFEED_FACE_0DDB_10C5;
/// Header before the user pointer: magic, size, serial, padding (keeps 16-byte alignment).
const HEADER: usize = 32;
const TAIL: usize = 8;
const ALIGN: usize = 16;
/// `AllocMemory` refuses larger requests (returns false), as a real allocator would.
const MAX_ALLOC: usize = 1 << 30;

/// Counters of one memory manager, or of the whole process.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    allocations: AtomicUsize,
    frees: AtomicUsize,
    live: AtomicUsize,
    live_bytes: AtomicUsize,
    foreign_frees: AtomicUsize,
    double_frees: AtomicUsize,
    corrupted: AtomicUsize,
    bad_strings: AtomicUsize,
    wrong_thread: AtomicUsize,
    failed_allocations: AtomicUsize,
}

/// What a memory manager (or the whole process: [`memory_report`](super::memory_report)) saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryReport {
    /// Blocks allocated and not yet freed (by the add-in through `AllocMemory`, or by the host
    /// for the arguments it passes).
    pub live_allocations: usize,
    /// Their total size in bytes.
    pub live_bytes: usize,
    /// Successful allocations so far.
    pub allocations: usize,
    /// Successful frees so far.
    pub frees: usize,
    /// `FreeMemory` of a pointer this host never allocated (e.g. a `malloc`ed or `Box`ed one).
    pub foreign_frees: usize,
    /// `FreeMemory` of a block that was already freed.
    pub double_frees: usize,
    /// Blocks whose header or tail canary was overwritten (buffer overrun or underrun).
    pub corrupted: usize,
    /// Returned strings that break the contract: not from `AllocMemory`, no NUL at `wstrLen`,
    /// `wstrLen` counting the NUL, or a block too small for `wstrLen`.
    pub bad_strings: usize,
    /// A platform interface other than `ExternalEvent` (`AllocMemory`, `FreeMemory`,
    /// `AddError`, `SetEventBufferDepth`, `GetInterface`, …) called on a thread that is not
    /// inside a component call.
    pub wrong_thread: usize,
    /// `AllocMemory` requests refused (too large).
    pub failed_allocations: usize,
}

impl MemoryReport {
    /// No live block, no violation of any kind.
    pub fn is_clean(&self) -> bool {
        self.live_allocations == 0 && self.violations() == 0
    }

    /// Number of violations of every kind (leaks not included).
    pub fn violations(&self) -> usize {
        self.foreign_frees
            + self.double_frees
            + self.corrupted
            + self.bad_strings
            + self.wrong_thread
    }
}

impl Counters {
    pub(crate) const fn new() -> Counters {
        Counters {
            allocations: AtomicUsize::new(0),
            frees: AtomicUsize::new(0),
            live: AtomicUsize::new(0),
            live_bytes: AtomicUsize::new(0),
            foreign_frees: AtomicUsize::new(0),
            double_frees: AtomicUsize::new(0),
            corrupted: AtomicUsize::new(0),
            bad_strings: AtomicUsize::new(0),
            wrong_thread: AtomicUsize::new(0),
            failed_allocations: AtomicUsize::new(0),
        }
    }

    pub(crate) fn report(&self) -> MemoryReport {
        let get = |a: &AtomicUsize| a.load(Ordering::SeqCst);
        MemoryReport {
            live_allocations: get(&self.live),
            live_bytes: get(&self.live_bytes),
            allocations: get(&self.allocations),
            frees: get(&self.frees),
            foreign_frees: get(&self.foreign_frees),
            double_frees: get(&self.double_frees),
            corrupted: get(&self.corrupted),
            bad_strings: get(&self.bad_strings),
            wrong_thread: get(&self.wrong_thread),
            failed_allocations: get(&self.failed_allocations),
        }
    }
}

/// Process-wide totals.
pub(crate) static GLOBAL: Counters = Counters::new();

/// Which counter to bump, on the manager and on [`GLOBAL`] alike.
#[derive(Clone, Copy)]
pub(crate) enum Breach {
    ForeignFree,
    DoubleFree,
    Corrupted,
    BrokenString,
    WrongThread,
}

pub(crate) fn count_bad(owner: &Counters, what: Breach) {
    for c in [owner, &GLOBAL] {
        let field = match what {
            Breach::ForeignFree => &c.foreign_frees,
            Breach::DoubleFree => &c.double_frees,
            Breach::Corrupted => &c.corrupted,
            Breach::BrokenString => &c.bad_strings,
            Breach::WrongThread => &c.wrong_thread,
        };
        field.fetch_add(1, Ordering::SeqCst);
    }
}

struct Block {
    size: usize,
    owner: Arc<Counters>,
    by_host: bool,
}

#[derive(Default)]
struct Registry {
    live: HashMap<usize, Block, AddressHash>,
    /// Addresses freed and not handed out again: a second free of one is a double free.
    freed: HashSet<usize, AddressHash>,
}

/// Hashes the registry's keys (block addresses) with one multiplication instead of SipHash:
/// the keys are not chosen by an adversary, and every string the add-in returns is looked up.
#[derive(Default, Clone, Copy)]
struct AddressHash;

impl std::hash::BuildHasher for AddressHash {
    type Hasher = AddressHasher;

    fn build_hasher(&self) -> AddressHasher {
        AddressHasher(0)
    }
}

#[derive(Default)]
struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        // Fibonacci hashing; the high bits (which hashbrown uses) depend on every bit of `n`.
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

fn registry() -> MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    super::lock(REGISTRY.get_or_init(Mutex::default))
}

fn layout(size: usize) -> Layout {
    Layout::from_size_align(HEADER + size + TAIL, ALIGN).expect("block layout")
}

/// Allocates `size` bytes with canaries, registered to `owner`. Null if `size` is too large.
pub(crate) fn allocate(owner: &Arc<Counters>, size: usize, by_host: bool) -> *mut u8 {
    if size > MAX_ALLOC {
        for c in [&**owner, &GLOBAL] {
            c.failed_allocations.fetch_add(1, Ordering::SeqCst);
        }
        return std::ptr::null_mut();
    }
    // SAFETY: the layout has a non-zero size (HEADER + TAIL > 0) and a valid alignment.
    let base = unsafe { alloc(layout(size)) };
    if base.is_null() {
        std::alloc::handle_alloc_error(layout(size));
    }
    // SAFETY: `base` points to HEADER + size + TAIL writable bytes, 16-aligned; the header words
    // are 8-aligned, the tail is written unaligned.
    let user = unsafe {
        let head = base.cast::<u64>();
        head.write(HEAD_MAGIC);
        head.add(1).write(size as u64);
        head.add(2).write(0);
        head.add(3).write(HEAD_MAGIC);
        let user = base.add(HEADER);
        // Fill with a pattern so that reads of uninitialised memory stand out.
        std::ptr::write_bytes(user, 0xA5, size);
        user.add(size).cast::<u64>().write_unaligned(TAIL_MAGIC);
        user
    };
    let mut reg = registry();
    reg.freed.remove(&(user as usize));
    reg.live.insert(
        user as usize,
        Block {
            size,
            owner: owner.clone(),
            by_host,
        },
    );
    drop(reg);
    for c in [&**owner, &GLOBAL] {
        c.allocations.fetch_add(1, Ordering::SeqCst);
        c.live.fetch_add(1, Ordering::SeqCst);
        c.live_bytes.fetch_add(size, Ordering::SeqCst);
    }
    user
}

/// How a free went.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Freed {
    Ok,
    Null,
    Foreign,
    Double,
}

/// Frees a registered block. `caller` is the manager asked to free (it is charged with the
/// violation); `what` names the call site for the violation text.
pub(crate) fn release(caller: &Counters, user: *mut u8, what: &dyn Display) -> Freed {
    if user.is_null() {
        return Freed::Null;
    }
    let mut reg = registry();
    let Some(block) = reg.live.remove(&(user as usize)) else {
        let double = reg.freed.contains(&(user as usize));
        drop(reg);
        if double {
            count_bad(caller, Breach::DoubleFree);
            record_violation(format!("{what}: double free of {user:p}"));
            return Freed::Double;
        }
        count_bad(caller, Breach::ForeignFree);
        record_violation(format!(
            "{what}: free of {user:p}, which AllocMemory never returned"
        ));
        return Freed::Foreign;
    };
    reg.freed.insert(user as usize);
    drop(reg);
    // SAFETY: `user` is a live block of `block.size` bytes made by `allocate`, so the header and
    // tail around it are ours to read.
    let (head_ok, tail_ok) = unsafe {
        let head = user.sub(HEADER).cast::<u64>();
        let head_ok = head.read() == HEAD_MAGIC
            && head.add(1).read() == block.size as u64
            && head.add(3).read() == HEAD_MAGIC;
        let tail_ok = user.add(block.size).cast::<u64>().read_unaligned() == TAIL_MAGIC;
        (head_ok, tail_ok)
    };
    if !head_ok || !tail_ok {
        count_bad(&block.owner, Breach::Corrupted);
        record_violation(format!(
            "{what}: block {user:p} of {} bytes was overwritten ({})",
            block.size,
            if tail_ok { "header" } else { "past its end" }
        ));
    }
    for c in [&*block.owner, &GLOBAL] {
        c.frees.fetch_add(1, Ordering::SeqCst);
        c.live.fetch_sub(1, Ordering::SeqCst);
        c.live_bytes.fetch_sub(block.size, Ordering::SeqCst);
    }
    // SAFETY: the block came from `alloc(layout(block.size))` and is removed from the registry,
    // so it is freed exactly once.
    unsafe { dealloc(user.sub(HEADER), layout(block.size)) };
    Freed::Ok
}

/// Size of the live block starting at `user`, and whether the host made it.
pub(crate) fn block_info(user: *const u8) -> Option<(usize, bool)> {
    registry()
        .live
        .get(&(user as usize))
        .map(|b| (b.size, b.by_host))
}

/// Allocates a NUL-terminated UTF-16 copy of `s` (for strings the host passes in).
pub(crate) fn alloc_wstr(owner: &Arc<Counters>, s: &str) -> (*mut u16, u32) {
    let units: Vec<u16> = s.encode_utf16().collect();
    let p = allocate(owner, (units.len() + 1) * 2, true).cast::<u16>();
    assert!(
        !p.is_null(),
        "host string of {} units is too large",
        units.len()
    );
    // SAFETY: `p` has room for `units.len() + 1` u16 values, 16-aligned.
    unsafe {
        std::ptr::copy_nonoverlapping(units.as_ptr(), p, units.len());
        p.add(units.len()).write(0);
    }
    (p, units.len() as u32)
}

/// Allocates a copy of `bytes` (for blobs the host passes in).
pub(crate) fn alloc_bytes(owner: &Arc<Counters>, bytes: &[u8]) -> *mut u8 {
    let p = allocate(owner, bytes.len(), true);
    assert!(
        !p.is_null(),
        "host blob of {} bytes is too large",
        bytes.len()
    );
    // SAFETY: `p` has room for `bytes.len()` bytes.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
    p
}

/// Reads a string the add-in returned in a `tVariant` (`pwstrVal`, `wstrLen`) and checks the
/// contract: the block comes from `AllocMemory`, holds `wstrLen + 1` units, has a NUL at
/// `wstrLen` and `wstrLen` does not count the NUL. Breaches are counted on `owner` and recorded;
/// the text is still returned when it can be read safely.
pub(crate) fn read_returned_pwstr(
    owner: &Counters,
    p: *const u16,
    len: u32,
    what: &dyn Display,
) -> String {
    let len = len as usize;
    let bad = |msg: String| {
        count_bad(owner, Breach::BrokenString);
        record_violation(format!("{what}: {msg}"));
    };
    if p.is_null() {
        bad(format!("VTYPE_PWSTR with a null pointer (wstrLen {len}); expected an AllocMemory block with a NUL"));
        return String::new();
    }
    let Some((size, _)) = block_info(p.cast()) else {
        bad(format!(
            "PWSTR {p:p} was not allocated with this host's AllocMemory"
        ));
        return String::new();
    };
    if size < (len + 1) * 2 {
        bad(format!(
            "PWSTR block of {size} bytes cannot hold wstrLen {len} units plus a NUL"
        ));
        let readable = size / 2;
        // SAFETY: the block holds `size` bytes, so `readable` units are in bounds.
        let units = unsafe { std::slice::from_raw_parts(p, readable.min(len)) };
        return String::from_utf16_lossy(units);
    }
    // SAFETY: the block holds at least `len + 1` units.
    let units = unsafe { std::slice::from_raw_parts(p, len + 1) };
    if units[len] != 0 {
        bad(format!("PWSTR has no NUL at index wstrLen ({len})"));
    }
    if len > 0 && units[len - 1] == 0 {
        bad(format!("wstrLen ({len}) counts the terminating NUL"));
    }
    String::from_utf16_lossy(&units[..len])
}

/// Reads a NUL-terminated string the add-in returned by pointer (`RegisterExtensionAs`,
/// `GetPropName`, `GetMethodName`): it must be an `AllocMemory` block with a NUL inside it.
pub(crate) fn read_returned_cstr(
    owner: &Counters,
    p: *const u16,
    what: &dyn Display,
) -> Option<String> {
    if p.is_null() {
        return None;
    }
    let bad = |msg: String| {
        count_bad(owner, Breach::BrokenString);
        record_violation(format!("{what}: {msg}"));
    };
    let Some((size, by_host)) = block_info(p.cast()) else {
        bad(format!(
            "string {p:p} was not allocated with this host's AllocMemory"
        ));
        return None;
    };
    if by_host {
        bad(format!(
            "returned string {p:p} is a block the host allocated"
        ));
    }
    // SAFETY: the block holds `size` bytes.
    let units = unsafe { std::slice::from_raw_parts(p, size / 2) };
    match units.iter().position(|&c| c == 0) {
        Some(n) => Some(String::from_utf16_lossy(&units[..n])),
        None => {
            bad(format!("string in a block of {size} bytes has no NUL"));
            Some(String::from_utf16_lossy(units))
        }
    }
}

/// `IMemoryManager` vtable with the Itanium prefix.
#[repr(C)]
struct MemVtbl {
    offset_to_top: isize,
    typeinfo: usize,
    dtor_complete: unsafe extern "C" fn(*mut MemObj),
    dtor_deleting: unsafe extern "C" fn(*mut MemObj),
    alloc_memory: unsafe extern "C" fn(*mut MemObj, *mut *mut c_void, c_ulong) -> bool,
    free_memory: unsafe extern "C" fn(*mut MemObj, *mut *mut c_void),
}

static MEM_VTBL: MemVtbl = MemVtbl {
    offset_to_top: 0,
    typeinfo: 0,
    dtor_complete: mem_dtor,
    dtor_deleting: mem_dtor,
    alloc_memory,
    free_memory,
};

const MEM_MAGIC: u64 = 0x4D45_4D4D_414E_4147; // "MEMMANAG"

/// One `IMemoryManager` object as the add-in sees it (never freed: see `platform::HostSide`).
#[repr(C)]
pub(crate) struct MemObj {
    vptr: *const c_void,
    magic: u64,
    pub(crate) state: &'static HostState,
}

impl MemObj {
    pub(crate) fn new(state: &'static HostState) -> MemObj {
        MemObj {
            vptr: std::ptr::addr_of!(MEM_VTBL.dtor_complete).cast(),
            magic: MEM_MAGIC,
            state,
        }
    }
}

/// # Safety
/// `this` must be null or point to readable memory of at least `size_of::<MemObj>()` bytes.
unsafe fn mem_state(this: *mut MemObj, what: &str) -> Option<&'static HostState> {
    // SAFETY: per the contract; the magic check catches a wrong `this`.
    let obj = unsafe { this.as_ref() }?;
    if obj.magic != MEM_MAGIC {
        record_violation(format!(
            "{what} called with a `this` that is not the IMemoryManager"
        ));
        return None;
    }
    Some(obj.state)
}

unsafe extern "C" fn mem_dtor(_this: *mut MemObj) {
    guard_callback("IMemoryManager::~IMemoryManager", || {
        record_violation("the add-in called the destructor of the host's IMemoryManager".into());
    });
}

unsafe extern "C" fn alloc_memory(
    this: *mut MemObj,
    out: *mut *mut c_void,
    bytes: c_ulong,
) -> bool {
    guard_callback("IMemoryManager::AllocMemory", || {
        // SAFETY: `this` is the pointer we handed to setMemManager.
        let Some(state) = (unsafe { mem_state(this, "AllocMemory") }) else {
            return false;
        };
        state.check_thread("AllocMemory");
        if out.is_null() {
            record_violation(format!(
                "object #{}: AllocMemory with a null out pointer",
                state.id
            ));
            return false;
        }
        let p = allocate(&state.counters, bytes as usize, false);
        // SAFETY: `out` is non-null and points to the add-in's pointer variable.
        unsafe { out.write(p.cast()) };
        !p.is_null()
    })
    .unwrap_or(false)
}

unsafe extern "C" fn free_memory(this: *mut MemObj, slot: *mut *mut c_void) {
    guard_callback("IMemoryManager::FreeMemory", || {
        // SAFETY: `this` is the pointer we handed to setMemManager.
        let Some(state) = (unsafe { mem_state(this, "FreeMemory") }) else {
            return;
        };
        state.check_thread("FreeMemory");
        if slot.is_null() {
            record_violation(format!(
                "object #{}: FreeMemory with a null pointer-to-pointer",
                state.id
            ));
            return;
        }
        // SAFETY: `slot` is non-null and points to the add-in's pointer variable.
        let p = unsafe { slot.read() };
        release(
            &state.counters,
            p.cast(),
            &format_args!("object #{}: FreeMemory", state.id),
        );
        // SAFETY: as above.
        unsafe { slot.write(std::ptr::null_mut()) };
    });
}
