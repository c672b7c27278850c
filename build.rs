//! Build script: link-time settings of the `cdylib`.
//!
//! On ELF targets (Linux, Android) the library is linked with `-z nodelete`, so `dlclose` can
//! never unmap it: async-std's executor and reactor threads never stop, and unmapping code under
//! them would crash the host process at their next wake-up (build-targets.md, "Unloading").
//! Windows has no link-time equivalent; there the library pins itself at the first
//! `GetClassObject` with `GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_PIN, …)`
//! (`src/addin/pin.rs`).

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" || os == "android" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    }
}
