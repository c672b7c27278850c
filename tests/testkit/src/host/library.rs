//! Loading the add-in library and creating objects, as `ПодключитьВнешнююКомпоненту` and
//! `Новый("AddIn.<Name>.<Class>")` do.

use std::ffi::{c_int, c_void};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use super::ffi::{read_wstr, wide, MAX_WSTR};
use super::object::Object;
use super::platform::HostSide;
use super::{addin_path, HostOptions};

type GetClassObjectFn = unsafe extern "C" fn(*const u16, *mut *mut c_void) -> i64;
type DestroyObjectFn = unsafe extern "C" fn(*mut *mut c_void) -> i64;
type GetClassNamesFn = unsafe extern "C" fn() -> *const u16;
type SetPlatformCapabilitiesFn = unsafe extern "C" fn(c_int) -> c_int;
type GetAttachTypeFn = unsafe extern "C" fn() -> c_int;

/// `eAppCapabilities3`, what current platforms pass to `SetPlatformCapabilities`.
pub const APP_CAPABILITIES: i32 = 3;

struct Inner {
    path: PathBuf,
    get_class_object: GetClassObjectFn,
    destroy_object: DestroyObjectFn,
    get_class_names: GetClassNamesFn,
    capabilities: Option<i32>,
    attach_type: Option<i32>,
    // Last field: dropped (dlclose) after everything above is gone.
    _lib: libloading::Library,
}

/// The loaded add-in (`dlopen`ed). Cheap to clone; every [`Object`] keeps its library loaded,
/// and the library is unloaded (`dlclose`) when the last clone and object are gone.
#[derive(Clone)]
pub struct Library(Arc<Inner>);

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("path", &self.0.path)
            .finish()
    }
}

/// Copies a required symbol out of the library.
///
/// # Safety
/// `T` must be the symbol's true type.
unsafe fn required<T: Copy>(lib: &libloading::Library, name: &str) -> Result<T, String> {
    // SAFETY: per the contract.
    unsafe { lib.get::<T>(name.as_bytes()) }
        .map(|s| *s)
        .map_err(|e| format!("export {name} is missing: {e}"))
}

/// Copies an optional symbol out of the library.
///
/// # Safety
/// `T` must be the symbol's true type.
unsafe fn optional<T: Copy>(lib: &libloading::Library, name: &str) -> Option<T> {
    // SAFETY: per the contract.
    unsafe { lib.get::<T>(name.as_bytes()) }.ok().map(|s| *s)
}

impl Library {
    /// `dlopen`s the add-in and does what 1C does on `ПодключитьВнешнююКомпоненту`: resolves
    /// GetClassObject, DestroyObject and GetClassNames (all required), then calls
    /// `SetPlatformCapabilities(3)` and `GetAttachType()` when exported.
    pub fn load(path: impl AsRef<Path>) -> Result<Library, String> {
        let path = path.as_ref().to_path_buf();
        // SAFETY: loading the add-in runs its initialisers; that is what we are here to test.
        let lib = unsafe { libloading::Library::new(&path) }
            .map_err(|e| format!("dlopen {}: {e}", path.display()))?;
        // SAFETY: the signatures are those of native-api.md §1.
        let (get_class_object, destroy_object, get_class_names, set_caps, attach) = unsafe {
            (
                required::<GetClassObjectFn>(&lib, "GetClassObject")?,
                required::<DestroyObjectFn>(&lib, "DestroyObject")?,
                required::<GetClassNamesFn>(&lib, "GetClassNames")?,
                optional::<SetPlatformCapabilitiesFn>(&lib, "SetPlatformCapabilities"),
                optional::<GetAttachTypeFn>(&lib, "GetAttachType"),
            )
        };
        // SAFETY: plain C functions without arguments beyond an enum value.
        let capabilities = set_caps.map(|f| unsafe { f(APP_CAPABILITIES) });
        // SAFETY: as above.
        let attach_type = attach.map(|f| unsafe { f() });
        Ok(Library(Arc::new(Inner {
            path,
            get_class_object,
            destroy_object,
            get_class_names,
            capabilities,
            attach_type,
            _lib: lib,
        })))
    }

    /// Where it was loaded from.
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// What `SetPlatformCapabilities(3)` answered, `None` if it is not exported.
    pub fn capabilities(&self) -> Option<i32> {
        self.0.capabilities
    }

    /// What `GetAttachType()` answered (1 not isolated, 2 isolated, 3 any), `None` if it is
    /// not exported.
    pub fn attach_type(&self) -> Option<i32> {
        self.0.attach_type
    }

    /// `GetClassNames()` split on `|`. Panics if it returns null or an unterminated string.
    pub fn class_names(&self) -> Vec<String> {
        // SAFETY: plain C function; the result is a static NUL-terminated string.
        let p = unsafe { (self.0.get_class_names)() };
        // SAFETY: the add-in promises a NUL-terminated string valid for the library lifetime.
        let units = unsafe { read_wstr(p, MAX_WSTR) }
            .expect("GetClassNames returned null or an unterminated string");
        String::from_utf16_lossy(&units)
            .split('|')
            .map(str::to_owned)
            .collect()
    }

    pub(crate) fn destroy_object_fn(&self) -> DestroyObjectFn {
        self.0.destroy_object
    }

    /// `Новый("AddIn.X.<class>")`: GetClassObject → setMemManager and Init (order per
    /// `opts.init_before_mem_manager`) → GetInfo → SetLocale → SetUserInterfaceLanguageCode →
    /// RegisterExtensionAs (must equal `class`; the string is freed with FreeMemory). On any
    /// failure the half-made object is torn down (Done, DestroyObject) and the error returned.
    pub fn create(&self, class: &str, opts: &HostOptions) -> Result<Object, String> {
        static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
        let name = wide(class);
        let mut comp: *mut c_void = std::ptr::null_mut();
        // SAFETY: `name` is NUL-terminated, `comp` is a valid out pointer.
        let created = unsafe { (self.0.get_class_object)(name.as_ptr(), &mut comp) };
        if created == 0 || comp.is_null() {
            return Err(format!(
                "GetClassObject({class:?}) returned {created} with pointer {comp:p}"
            ));
        }
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let mut object = Object::new(self.clone(), class, comp, HostSide::new(id, opts));
        object.start(opts.init_before_mem_manager, &opts.locale, &opts.language)?;
        Ok(object)
    }
}

/// The add-in of the current build ([`addin_path`]), loaded once per process and never
/// unloaded. Panics with the reason if it cannot be loaded.
pub fn library() -> &'static Library {
    static LIB: OnceLock<Library> = OnceLock::new();
    LIB.get_or_init(|| {
        Library::load(addin_path()).unwrap_or_else(|e| panic!("cannot load the add-in: {e}"))
    })
}
