//! Builds the C++ host of `tests/cpp_host/` (a second, independent emulator whose vtables a
//! real C++ compiler lays out).

use std::path::PathBuf;
use std::process::Command;

/// `tests/cpp_host/host.cpp` of this checkout.
pub fn cpp_host_source() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("cpp_host")
        .join("host.cpp")
}

/// Compiles the C++ host with
/// `g++ -std=c++17 -O1 -g -Wall -Wextra -Werror -o <out> host.cpp -ldl -lpthread` into
/// `target/<profile>/cpp_host/host` and returns that path. Fails with a clear message when g++
/// is missing or the source does not compile.
pub fn build_cpp_host() -> Result<PathBuf, String> {
    let src = cpp_host_source();
    let dir = super::profile_dir().join("cpp_host");
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let out = dir.join("host");
    // Build under a private name, then rename: concurrent builds never see a half-written file.
    let tmp = dir.join(format!("host.{}.tmp", std::process::id()));
    let result = Command::new("g++")
        .args([
            "-std=c++17",
            "-O1",
            "-g",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-o",
        ])
        .arg(&tmp)
        .arg(&src)
        .args(["-ldl", "-lpthread"])
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
