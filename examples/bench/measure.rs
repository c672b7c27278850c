//! What the benchmarks read about their own process: CPU time and context switches
//! (`getrusage(RUSAGE_SELF)`), CPU time per thread name (`/proc/self/task/*/schedstat`),
//! resident memory (`VmRSS`), open files and the machine; and [`pin`], which puts a process on
//! one CPU. Shared by `examples/bench`, `examples/bench_scale`, `examples/read_floor` and
//! `examples/soak` (the last three include this file with `#[path]`). Not run by itself.
#![allow(dead_code)] // each benchmark uses a part of it

use std::collections::BTreeMap;
use std::ffi::c_int;
use std::time::Instant;

/// `struct rusage` of Linux x86_64 (and every LP64 Linux): two `timeval`s, then 14 longs.
#[repr(C)]
#[derive(Default)]
struct RUsage {
    utime: [i64; 2],
    stime: [i64; 2],
    longs: [i64; 14],
}

extern "C" {
    fn getrusage(who: c_int, usage: *mut RUsage) -> c_int;
}

/// CPU time and context switches of the whole process so far (every thread, no children).
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// User + system CPU seconds.
    pub cpu_s: f64,
    /// System (kernel) CPU seconds: syscalls, wake-ups, scheduling.
    pub sys_s: f64,
    /// Voluntary context switches (a thread went to sleep: waits, wake-ups between threads).
    pub vcsw: i64,
    /// Involuntary context switches (preempted: the machine is busy).
    pub ivcsw: i64,
}

impl Usage {
    /// `getrusage(RUSAGE_SELF)` now.
    pub fn now() -> Usage {
        let mut u = RUsage::default();
        // SAFETY: `u` has the layout of `struct rusage` on LP64 Linux; RUSAGE_SELF is 0.
        let rc = unsafe { getrusage(0, &mut u) };
        assert_eq!(rc, 0, "getrusage failed");
        let secs = |tv: [i64; 2]| tv[0] as f64 + tv[1] as f64 / 1e6;
        Usage {
            cpu_s: secs(u.utime) + secs(u.stime),
            sys_s: secs(u.stime),
            // ru_nvcsw and ru_nivcsw are the last two longs.
            vcsw: u.longs[12],
            ivcsw: u.longs[13],
        }
    }

    /// What happened between `earlier` and `self`.
    pub fn since(self, earlier: Usage) -> Usage {
        Usage {
            cpu_s: self.cpu_s - earlier.cpu_s,
            sys_s: self.sys_s - earlier.sys_s,
            vcsw: self.vcsw - earlier.vcsw,
            ivcsw: self.ivcsw - earlier.ivcsw,
        }
    }
}

/// CPU seconds and voluntary context switches of one group of threads.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadUse {
    /// CPU seconds (`/proc/self/task/<tid>/schedstat`, nanosecond counters).
    pub cpu_s: f64,
    /// Voluntary context switches (`voluntary_ctxt_switches` of its `status`).
    pub vcsw: f64,
}

/// [`ThreadUse`] per thread name (`comm`, with trailing digits folded so that a pool's threads
/// add up: `blocking-1` → `blocking-#`). The calling thread is reported as `main`.
pub fn thread_use() -> BTreeMap<String, ThreadUse> {
    let me = std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    let mut out: BTreeMap<String, ThreadUse> = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for entry in dir.flatten() {
        let tid = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let Ok(stat) = std::fs::read_to_string(path.join("schedstat")) else {
            continue;
        };
        let ns: f64 = stat
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0.0);
        let vcsw: f64 = std::fs::read_to_string(path.join("status"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0);
        let name = if Some(&tid) == me.as_ref() {
            "main".to_owned()
        } else {
            let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
            let comm = comm.trim();
            let stem = comm.trim_end_matches(|c: char| c.is_ascii_digit());
            if stem.len() < comm.len() {
                format!("{stem}#")
            } else {
                comm.to_owned()
            }
        };
        let t = out.entry(name).or_default();
        t.cpu_s += ns / 1e9;
        t.vcsw += vcsw;
    }
    out
}

/// What each thread group used between two [`thread_use`] readings (threads that ended in
/// between are missing; idle groups are left out).
pub fn thread_use_since(
    now: &BTreeMap<String, ThreadUse>,
    earlier: &BTreeMap<String, ThreadUse>,
) -> BTreeMap<String, ThreadUse> {
    now.iter()
        .map(|(k, v)| {
            let e = earlier.get(k).copied().unwrap_or_default();
            let d = ThreadUse {
                cpu_s: v.cpu_s - e.cpu_s,
                vcsw: v.vcsw - e.vcsw,
            };
            (k.clone(), d)
        })
        .filter(|(_, v)| v.cpu_s > 0.0005 || v.vcsw > 0.0)
        .collect()
}

/// A field of `/proc/self/status` in kB (`VmRSS`, `VmHWM`, …) or a count (`Threads`).
pub fn status_field(name: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /proc/self/status"))
}

/// Resident memory of this process now, in bytes.
pub fn rss_bytes() -> u64 {
    status_field("VmRSS") * 1024
}

/// Open file descriptors of this process now (entries of `/proc/self/fd`, the one that reads
/// the directory included).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// One line about the machine: CPU model, cores, load average, kernel.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split(':').nth(1))
        .unwrap_or("?")
        .trim()
        .to_owned();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{model}; {cores} CPUs available; Linux {}; load average {}",
        kernel.trim(),
        load_average()
    )
}

/// The 1-, 5- and 15-minute load averages (a busy machine makes every figure noisy).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Median, min and max of `xs` (`NaN`s if empty).
pub fn summary(xs: &[f64]) -> (f64, f64, f64) {
    if xs.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let mid = v.len() / 2;
    let median = if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    };
    (median, v[0], v[v.len() - 1])
}

/// The `q`-quantile (0..=1) of sorted `xs` (nearest rank).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64) * q).floor() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Seconds since `t0`.
pub fn secs(t0: Instant) -> f64 {
    t0.elapsed().as_secs_f64()
}

/// `taskset -a -p -c <cpu> <pid>`: every thread of `pid` on one CPU.
pub fn pin(pid: u32, cpu: usize) {
    let ok = std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", &cpu.to_string(), &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "taskset failed for pid {pid}");
}
