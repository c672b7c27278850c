//! Builds the C++ programs of `tests/cpp_host/`: the C++ host (a second, independent emulator
//! whose vtables a real C++ compiler lays out) and the mock add-in that tests the hosts.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// `tests/cpp_host/` of this checkout.
fn source_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("cpp_host")
}

/// `tests/cpp_host/host.cpp` of this checkout.
pub fn cpp_host_source() -> PathBuf {
    source_dir().join("host.cpp")
}

/// Compiles the C++ host with
/// `g++ -std=c++17 -O1 -g -Wall -Wextra -Werror -o <out> host.cpp -ldl -lpthread` into
/// `target/<profile>/cpp_host/host` and returns that path (once per process; later calls return
/// the first answer). Fails with a clear message when g++ is missing or the source does not
/// compile.
pub fn build_cpp_host() -> Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| gxx(&cpp_host_source(), "host", &[], &["-ldl", "-lpthread"]))
        .clone()
}

/// Compiles `tests/cpp_host/mock_addin.cpp` (a mock add-in that breaks the contract on request,
/// for testing the hosts) into `target/<profile>/cpp_host/libmock_addin.so`, once per process.
pub fn build_mock_addin() -> Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let src = source_dir().join("mock_addin.cpp");
    BUILT
        .get_or_init(|| {
            gxx(
                &src,
                "libmock_addin.so",
                &["-fPIC", "-shared"],
                &["-lpthread"],
            )
        })
        .clone()
}

fn gxx(src: &Path, name: &str, flags: &[&str], libs: &[&str]) -> Result<PathBuf, String> {
    let dir = super::profile_dir().join("cpp_host");
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let out = dir.join(name);
    // Build under a private name, then rename: other test processes building at the same time
    // never see a half-written file.
    let tmp = dir.join(format!("{name}.{}.tmp", std::process::id()));
    let result = Command::new("g++")
        .args(["-std=c++17", "-O1", "-g", "-Wall", "-Wextra", "-Werror"])
        .args(flags)
        .arg("-o")
        .arg(&tmp)
        .arg(src)
        .args(libs)
        .output()
        .map_err(|e| format!("cannot run g++ ({e}): install it (Debian: apt-get install g++)"))?;
    if !result.status.success() {
        return Err(format!(
            "g++ failed on {}:\n{}{}",
            src.display(),
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        ));
    }
    std::fs::rename(&tmp, &out).map_err(|e| format!("rename to {}: {e}", out.display()))?;
    Ok(out)
}
