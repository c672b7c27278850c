//! Keeps the library loaded once an object exists.
//!
//! async-std's executor and reactor threads never stop, so code must stay mapped for the life
//! of the process (OneScript calls `FreeLibrary`/`dlclose` when it disposes of an add-in).
//! - Linux/ELF: `build.rs` links with `-z nodelete`, so `dlclose` never unmaps us; nothing to
//!   do at run time.
//! - Windows: the first `GetClassObject` pins the DLL with
//!   `GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_PIN | …_FROM_ADDRESS)`, declared by hand
//!   below (no extra crate).
#![cfg_attr(windows, allow(unsafe_code))]

/// Pins the library in memory (once; later calls do nothing).
#[cfg(not(windows))]
pub(crate) fn pin_library() {}

/// Pins the library in memory (once; later calls do nothing).
#[cfg(windows)]
pub(crate) fn pin_library() {
    use core::ffi::c_void;
    use std::sync::Once;

    /// The module stays loaded until the process ends, whatever `FreeLibrary` calls follow.
    const GET_MODULE_HANDLE_EX_FLAG_PIN: u32 = 0x0000_0001;
    /// `module_name` is an address inside the module rather than a name.
    const GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS: u32 = 0x0000_0004;

    #[link(name = "kernel32")]
    extern "system" {
        fn GetModuleHandleExW(flags: u32, module_name: *const u16, module: *mut *mut c_void)
            -> i32;
    }

    static PINNED: Once = Once::new();
    PINNED.call_once(|| {
        let mut module: *mut c_void = std::ptr::null_mut();
        let inside_this_module = pin_library as fn() as *const u16;
        // SAFETY: with FLAG_FROM_ADDRESS the second argument is any address inside the module
        // (this function); `module` is a valid out slot. Failure only means "not pinned".
        unsafe {
            GetModuleHandleExW(
                GET_MODULE_HANDLE_EX_FLAG_PIN | GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
                inside_this_module,
                &mut module,
            )
        };
    });
}
