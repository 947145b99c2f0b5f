//! `export`, `import` and `copy`: a dashboard as a JSON Lines stream
//! ([`diun_core::export`]), out of one database and into another.
//!
//! Each reports its progress on stderr once a second while it runs longer
//! than that, and one line with what it did at the end.

use std::io::{self, BufRead, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use diun_core::export::{Counts, ExportReader, ExportWriter, ImportReport, Record};
use diun_core::{Store, StoreError};

/// The generator named in the header of the streams this program writes.
pub const GENERATOR: &str = concat!("diun-dashboard ", env!("CARGO_PKG_VERSION"));

/// Reports rows done and their rate on stderr, at most once a second.
pub struct Progress {
    verb: &'static str,
    started: Instant,
    last: Instant,
    done: u64,
    /// How often to report; `None` for never.
    every: Option<Duration>,
}

impl Progress {
    /// Progress of `verb` ("exported", "imported", "copied").
    pub fn new(verb: &'static str) -> Self {
        let now = Instant::now();
        Progress { verb, started: now, last: now, done: 0, every: Some(Duration::from_secs(1)) }
    }

    /// Progress that counts without reporting.
    pub fn quiet(verb: &'static str) -> Self {
        Progress { every: None, ..Progress::new(verb) }
    }

    /// One more record done.
    pub fn tick(&mut self) {
        self.done += 1;
        if self.done % 256 == 0 && self.every.is_some_and(|every| self.last.elapsed() >= every) {
            self.last = Instant::now();
            eprintln!("{} {} records ({}/s)…", self.verb, self.done, self.rate());
        }
    }

    /// Records per second so far.
    fn rate(&self) -> u64 {
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        (self.done as f64 / seconds) as u64
    }

    /// The closing line: what was done, how long it took.
    pub fn summary(&self, counts: &Counts) -> String {
        format!(
            "{} {} tags, {} tagged images, {} mute rules, {} updates and {} history events in {:.1} s ({} records/s)",
            self.verb,
            counts.tags,
            counts.assignments,
            counts.mute_rules,
            counts.updates,
            counts.events,
            self.started.elapsed().as_secs_f64(),
            self.rate()
        )
    }
}

/// Writes every record of `store` to `out` as a stream.
pub fn export(store: &dyn Store, out: impl Write, progress: &mut Progress) -> Result<Counts, String> {
    let mut writer = ExportWriter::new(out, GENERATOR).map_err(|err| format!("cannot write: {err}"))?;
    let mut write_error = None;
    let result = store.export(&mut |record: Record| {
        progress.tick();
        writer.write(&record).map_err(|err| {
            let message = format!("cannot write: {err}");
            write_error = Some(message.clone());
            StoreError::Unavailable(message)
        })
    });
    match (result, write_error) {
        (_, Some(message)) => Err(message),
        (Err(err), None) => Err(format!("cannot read the database: {err}")),
        (Ok(_), None) => {
            let (_, counts) = writer.finish().map_err(|err| format!("cannot write: {err}"))?;
            Ok(counts)
        }
    }
}

/// Reads a stream from `input` into `store`, in one transaction.
pub fn import(
    store: &dyn Store,
    input: impl BufRead,
    merge: bool,
    progress: &mut Progress,
) -> Result<ImportReport, String> {
    import_lines(store, input.lines(), merge, progress)
}

fn import_lines(
    store: &dyn Store,
    lines: impl Iterator<Item = io::Result<String>>,
    merge: bool,
    progress: &mut Progress,
) -> Result<ImportReport, String> {
    let mut records = ExportReader::new(lines).inspect(|_| progress.tick());
    store.import(&mut records, merge).map_err(|err| format!("nothing was imported: {err}"))
}

/// Copies every record of `from` into `to` through the stream format, in one
/// transaction on `to`.
pub fn copy(from: &dyn Store, to: &dyn Store, merge: bool, progress: &mut Progress) -> Result<ImportReport, String> {
    let (send, receive) = mpsc::sync_channel::<io::Result<String>>(4096);
    std::thread::scope(|scope| {
        let exporter = scope.spawn(move || {
            let out = LineSender { send: send.clone(), pending: Vec::new() };
            let result = export(from, out, &mut Progress::quiet("read"));
            if let Err(message) = &result {
                // The import fails on it and writes nothing.
                let _ = send.send(Err(io::Error::other(message.clone())));
            }
            result
        });
        let imported = import_lines(to, receive.into_iter(), merge, progress);
        let exported = exporter.join().map_err(|_| "the export thread panicked".to_owned())?;
        match (exported, imported) {
            // When both failed, the export's error is the cause, unless it
            // only says that the import stopped reading (for its own reason).
            (Err(message), Err(_)) if !message.contains(IMPORT_STOPPED) => {
                Err(format!("nothing was copied: the source failed: {message}"))
            }
            (_, Err(message)) => Err(message.replacen("nothing was imported", "nothing was copied", 1)),
            (_, Ok(report)) => Ok(report),
        }
    })
}

/// What the export hears when the import has stopped reading.
const IMPORT_STOPPED: &str = "the import stopped";

/// Sends each complete line written to it on a channel.
struct LineSender {
    send: mpsc::SyncSender<io::Result<String>>,
    pending: Vec<u8>,
}

impl Write for LineSender {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = self.pending.drain(..=end).collect();
            line.pop();
            let line = String::from_utf8(line).map_err(io::Error::other)?;
            self.send.send(Ok(line)).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, IMPORT_STOPPED))?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
