//! The diagnostic log (`LogFile`, `LogLevel`): what an administrator reads when a connection
//! fails in production.
//!
//! Each object has an [`ObjectLog`] (its file, level, `EventSource` and number). A line is
//! formatted on the calling thread and handed to the one writer thread of the process without
//! waiting: when the writer falls behind, lines are dropped and counted (the next line written
//! says how many), so logging never delays an event or a 1C call. Several objects may share a
//! file; the writer keeps it under [`MAX_FILE_BYTES`] by renaming it to `<name>.1` (one
//! generation kept). A file that cannot be written stops that object's logging and is reported
//! once as an Error event by the object's Connection ([`ObjectLog::take_failure`]).
//!
//! Secrets are kept out by the callers, which log only what is safe to show (hosts, ports,
//! sids, reasons; packets cut to [`PACKET_CHARS`] with CONNECT payloads hidden).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use async_channel::{Sender, TrySendError};
use once_cell::sync::Lazy;

use crate::sync::lock;

/// A file is renamed to `<name>.1` once it reaches this size.
pub const MAX_FILE_BYTES: u64 = 10 << 20;

/// How much of a packet a `debug` line shows.
pub const PACKET_CHARS: usize = 1024;

/// Lines waiting for the writer; more are dropped (and counted) instead of waiting.
const QUEUE_LINES: usize = 4096;

/// How much is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Errors only.
    Error,
    /// The connection's life (the default).
    Info,
    /// Also every packet.
    Debug,
}

impl Level {
    /// The property's words.
    pub fn parse(word: &str) -> Option<Level> {
        match word.trim().to_ascii_lowercase().as_str() {
            "error" | "ошибки" => Some(Level::Error),
            "info" | "информация" => Some(Level::Info),
            "debug" | "отладка" => Some(Level::Debug),
            _ => None,
        }
    }

    /// How it reads back.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

/// One object's log.
#[derive(Debug)]
pub struct ObjectLog {
    path: PathBuf,
    level: Level,
    source: String,
    number: u64,
    /// The file could not be written: nothing more is logged.
    failed: AtomicBool,
    /// Why, until the Connection has reported it.
    failure: Mutex<Option<String>>,
}

/// A line for the writer.
struct Line {
    log: Arc<ObjectLog>,
    text: String,
}

/// The object numbers of this process, for the lines.
static NEXT_OBJECT: AtomicU64 = AtomicU64::new(1);

/// A number for a new object, unique in the process: its lines carry it.
pub fn next_object_number() -> u64 {
    NEXT_OBJECT.fetch_add(1, Ordering::Relaxed)
}

/// Lines dropped because the writer was behind.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// The writer thread's queue, started at the first line. (async-channel, which the actors use
/// already, rather than std's mpsc: one channel's code in the library, not two.)
static WRITER: Lazy<Option<Sender<Line>>> = Lazy::new(|| {
    let (tx, rx) = async_channel::bounded::<Line>(QUEUE_LINES);
    std::thread::Builder::new()
        .name("socketio1c-log".into())
        .spawn(move || {
            let mut files = Files::default();
            while let Ok(line) = rx.recv_blocking() {
                files.write(line);
            }
        })
        .ok()
        .map(|_| tx)
});

impl ObjectLog {
    /// A log into `path` at `level` for object `number`, whose events carry `source`; `None`
    /// when `path` is empty (no log).
    pub fn new(path: &str, level: Level, source: &str, number: u64) -> Option<Arc<ObjectLog>> {
        let path = path.trim();
        (!path.is_empty()).then(|| {
            Arc::new(ObjectLog {
                path: PathBuf::from(path),
                level,
                source: source.to_owned(),
                number,
                failed: AtomicBool::new(false),
                failure: Mutex::new(None),
            })
        })
    }

    /// Whether lines of `level` are written.
    pub fn enabled(&self, level: Level) -> bool {
        level <= self.level && !self.failed.load(Ordering::Relaxed)
    }

    /// Writes one line at `level` (the text made only when it is written).
    pub fn write(self: &Arc<Self>, level: Level, text: impl FnOnce() -> String) {
        if !self.enabled(level) {
            return;
        }
        let Some(writer) = WRITER.as_ref() else {
            return;
        };
        let line = Line {
            log: self.clone(),
            text: format!(
                "{} {} [{} #{}] {}",
                utc_now(),
                level.as_str(),
                self.source,
                self.number,
                text()
            ),
        };
        if let Err(TrySendError::Full(_) | TrySendError::Closed(_)) = writer.try_send(line) {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Opens the file for appending, as the writer will, so that a file that cannot be written
    /// is known (and reported) when the connection starts, not at some later line.
    pub fn check(&self) {
        if self.failed.load(Ordering::Relaxed) {
            return;
        }
        if let Err(err) = open_append(&self.path) {
            self.fail(&err);
        }
    }

    /// Why the file could not be written, once, for the Connection to report as an Error event.
    pub fn take_failure(&self) -> Option<String> {
        lock(&self.failure).take()
    }

    /// The file could not be written: no more lines, and the reason waits for the Connection.
    fn fail(&self, err: &std::io::Error) {
        if !self.failed.swap(true, Ordering::Relaxed) {
            *lock(&self.failure) = Some(format!(
                "cannot write the log file \"{}\": {err}; logging stopped",
                self.path.display()
            ));
        }
    }
}

/// The writer's open files, with their sizes (a list: a process logs to a file or two).
#[derive(Default)]
struct Files {
    open: Vec<(PathBuf, File, u64)>,
}

impl Files {
    fn write(&mut self, line: Line) {
        let Line { log, text } = line;
        if log.failed.load(Ordering::Relaxed) {
            return;
        }
        let mut text = text;
        let dropped = DROPPED.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            text = format!("{text} ({dropped} earlier lines were dropped: the log fell behind)");
        }
        text.push('\n');
        if let Err(err) = self.append(&log.path, text.as_bytes()) {
            self.open.retain(|(path, ..)| *path != log.path);
            log.fail(&err);
        }
    }

    fn append(&mut self, path: &PathBuf, bytes: &[u8]) -> std::io::Result<()> {
        let at = match self.open.iter().position(|(p, ..)| p == path) {
            Some(at) => at,
            None => {
                let file = open_append(path)?;
                let size = file.metadata()?.len();
                self.open.push((path.clone(), file, size));
                self.open.len() - 1
            }
        };
        let (_, file, size) = &mut self.open[at];
        if *size + bytes.len() as u64 > MAX_FILE_BYTES && *size > 0 {
            let mut old = path.clone().into_os_string();
            old.push(".1");
            // Another process sharing the file may have rotated it already: best effort.
            let _ = std::fs::rename(path, &old);
            *file = open_append(path)?;
            *size = file.metadata()?.len();
        }
        file.write_all(bytes)?;
        *size += bytes.len() as u64;
        Ok(())
    }
}

/// `path` opened for appending, created when missing.
fn open_append(path: &std::path::Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// A Socket.IO packet as a `debug` line shows it: at most [`PACKET_CHARS`] characters; a
/// CONNECT (`0…`, whose payload is the Auth object on the way out) shows no payload.
pub fn packet(text: &str) -> String {
    if text.starts_with('0') {
        let nsp_end = text.find('{').unwrap_or(text.len());
        return format!("{} <auth hidden>", &text[..nsp_end]);
    }
    crate::lang::clip_to(text, PACKET_CHARS).into_owned()
}

/// Now as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn utc_now() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// The calendar date of a day counted from 1970-01-01 (the proleptic Gregorian calendar).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_gregorian() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(19_723), (2024, 1, 1));
        assert_eq!(civil(19_782), (2024, 2, 29));
        assert_eq!(civil(20_794), (2026, 12, 7));
    }

    #[test]
    fn connect_payloads_are_hidden_and_packets_cut() {
        assert_eq!(packet(r#"0{"token":"secret"}"#), "0 <auth hidden>");
        assert_eq!(packet(r#"2["a",1]"#), r#"2["a",1]"#);
        assert_eq!(packet(r#"0/admin,{"token":"x"}"#), "0/admin, <auth hidden>");
        let long = "4".to_owned() + &"2".repeat(5000);
        assert!(packet(&long).chars().count() <= PACKET_CHARS + 1);
    }

    #[test]
    fn a_file_is_rotated_at_its_limit() {
        let dir = std::env::temp_dir().join(format!("socketio1c-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("client.log");
        std::fs::write(&path, vec![b'x'; MAX_FILE_BYTES as usize - 10]).unwrap();
        let mut files = Files::default();
        let log = ObjectLog::new(path.to_str().unwrap(), Level::Info, "S", 1).unwrap();
        files.write(Line {
            log: log.clone(),
            text: "a line longer than ten bytes".into(),
        });
        let rotated = std::fs::metadata(dir.join("client.log.1")).unwrap().len();
        assert_eq!(rotated, MAX_FILE_BYTES - 10);
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("a line"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_that_cannot_be_written_is_reported_once() {
        let log = ObjectLog::new("/nonexistent-dir/socketio1c.log", Level::Info, "S", 1).unwrap();
        let mut files = Files::default();
        files.write(Line {
            log: log.clone(),
            text: "x".into(),
        });
        assert!(log
            .take_failure()
            .unwrap()
            .contains("/nonexistent-dir/socketio1c.log"));
        assert_eq!(log.take_failure(), None);
        assert!(!log.enabled(Level::Error));
    }
}
