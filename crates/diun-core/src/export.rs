//! The export format: a whole dashboard as a versioned JSON Lines stream.
//!
//! ```text
//! {"format":"diun-dashboard-export","version":1,"generator":"diun-dashboard 0.1.0"}
//! {"type":"tag","name":"media","created_at":"2026-12-01T10:00:00.000000Z"}
//! {"type":"assignment","image":"docker.io/library/nginx:1.27","tag":"media"}
//! {"type":"update","hostname":"nas","image":"docker.io/library/nginx:1.27",…,"acknowledged_at":null,"event_count":2}
//! {"type":"event","hostname":"nas","image":"docker.io/library/nginx:1.27","received_at":"…",…}
//! {"type":"end","tags":1,"assignments":1,"updates":1,"events":2}
//! ```
//!
//! - The first line is the [`Header`]; a reader refuses any other format or
//!   a version it does not know ([`VERSION`]).
//! - Then one [`Record`] per line, each an object with a `type`: every tag,
//!   then every assignment (an image reference under a tag, on every host),
//!   then every update, each followed by its history, oldest event first.
//! - The last line is the `end` record with the count of each type, so that a
//!   cut stream is refused instead of imported in part.
//!
//! Records carry no database ids: an update is named by `(hostname, image)`,
//! a tag by its name (unique ignoring case), as the databases themselves keep
//! them unique. Ids are each database's own counters and differ after a move.
//!
//! Times are RFC 3339 in UTC with exactly six decimals (microseconds, what
//! PostgreSQL keeps), so that a stream reads back the same from either backend.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::{Metadata, StoreError, StoreResult, TagName, Update, UpdateEvent, UpdateStatus};

/// The `format` of the header line.
pub const FORMAT: &str = "diun-dashboard-export";

/// The version of the format this code writes and reads.
pub const VERSION: u32 = 1;

/// The first line of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format's version: [`VERSION`].
    pub version: u32,
    /// The program that wrote the stream, for people; readers ignore it.
    #[serde(default)]
    pub generator: String,
}

/// One line of a stream after the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// A tag.
    Tag(TagRecord),
    /// An image reference under a tag.
    Assignment(AssignmentRecord),
    /// An update with its acknowledgment state; its events follow it.
    Update(UpdateRecord),
    /// One event of an update's history.
    Event(EventRecord),
}

/// A tag, named as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagRecord {
    /// The name; unique ignoring case.
    pub name: String,
    /// When the tag was made.
    #[serde(with = "micros")]
    pub created_at: DateTime<Utc>,
}

/// An image reference under a tag, on every host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRecord {
    /// The image reference.
    pub image: String,
    /// The tag's name, as in its [`TagRecord`].
    pub tag: String,
}

/// An update: every field a store keeps, but its id and tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // The fields of [`crate::Update`], documented there.
pub struct UpdateRecord {
    pub hostname: String,
    pub image: String,
    pub status: UpdateStatus,
    pub provider: String,
    pub hub_link: String,
    pub mime_type: String,
    pub digest: String,
    #[serde(with = "micros_option")]
    pub created: Option<DateTime<Utc>>,
    pub platform: String,
    pub diun_version: String,
    pub metadata: Metadata,
    #[serde(with = "micros")]
    pub first_seen_at: DateTime<Utc>,
    #[serde(with = "micros")]
    pub last_seen_at: DateTime<Utc>,
    /// `null` while pending.
    #[serde(with = "micros_option")]
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub event_count: i64,
}

/// One received notification of an update's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // The fields of [`crate::UpdateEvent`], documented there.
pub struct EventRecord {
    /// The update's host: with `image`, which update this event belongs to.
    pub hostname: String,
    /// The update's image.
    pub image: String,
    #[serde(with = "micros")]
    pub received_at: DateTime<Utc>,
    pub status: UpdateStatus,
    pub digest: String,
    #[serde(with = "micros_option")]
    pub created: Option<DateTime<Utc>>,
    pub diun_version: String,
    pub metadata: Metadata,
}

impl UpdateRecord {
    /// The record of `update`, its times cut to microseconds.
    pub fn from_update(update: &Update) -> Self {
        UpdateRecord {
            hostname: update.hostname.clone(),
            image: update.image.clone(),
            status: update.status,
            provider: update.provider.clone(),
            hub_link: update.hub_link.clone(),
            mime_type: update.mime_type.clone(),
            digest: update.digest.clone(),
            created: update.created.map(truncate_to_micros),
            platform: update.platform.clone(),
            diun_version: update.diun_version.clone(),
            metadata: update.metadata.clone(),
            first_seen_at: truncate_to_micros(update.first_seen_at),
            last_seen_at: truncate_to_micros(update.last_seen_at),
            acknowledged_at: update.acknowledged_at.map(truncate_to_micros),
            event_count: update.event_count,
        }
    }
}

impl EventRecord {
    /// The record of `event`, one of `update`'s, its times cut to microseconds.
    pub fn from_event(update: &Update, event: &UpdateEvent) -> Self {
        EventRecord {
            hostname: update.hostname.clone(),
            image: update.image.clone(),
            received_at: truncate_to_micros(event.received_at),
            status: event.status,
            digest: event.digest.clone(),
            created: event.created.map(truncate_to_micros),
            diun_version: event.diun_version.clone(),
            metadata: event.metadata.clone(),
        }
    }
}

/// How many records of each type a stream holds, or an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Tags.
    pub tags: u64,
    /// Assignments.
    pub assignments: u64,
    /// Updates.
    pub updates: u64,
    /// Events.
    pub events: u64,
}

impl Counts {
    /// Counts one more record.
    pub fn add(&mut self, record: &Record) {
        match record {
            Record::Tag(_) => self.tags += 1,
            Record::Assignment(_) => self.assignments += 1,
            Record::Update(_) => self.updates += 1,
            Record::Event(_) => self.events += 1,
        }
    }

    /// All records.
    pub fn total(&self) -> u64 {
        self.tags + self.assignments + self.updates + self.events
    }
}

/// What [`crate::Store::import`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// What it wrote.
    pub written: Counts,
    /// What it left out when merging, the target's own data winning: tags
    /// whose name existed (their assignments then point at the target's
    /// tag), assignments of images the target had under a tag, updates the
    /// target had (with their events).
    pub skipped: Counts,
}

/// The time as the format writes it: six decimals, `Z`.
pub fn format_time(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A time cut to whole microseconds, what the format (and PostgreSQL) keeps.
pub fn truncate_to_micros(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.timestamp_micros()).unwrap_or(time)
}

mod micros {
    use super::*;

    pub fn serialize<S: serde::Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_time(time))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|time| truncate_to_micros(time.with_timezone(&Utc)))
            .map_err(|err| serde::de::Error::custom(format!("{text:?} is not an RFC 3339 time: {err}")))
    }
}

mod micros_option {
    use super::*;

    pub fn serialize<S: serde::Serializer>(time: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
        match time {
            Some(time) => micros::serialize(time, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "micros")] DateTime<Utc>);
        Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(time)| time))
    }
}

/// The `end` line.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct End {
    #[serde(rename = "type")]
    kind: EndType,
    tags: u64,
    assignments: u64,
    updates: u64,
    events: u64,
}

/// The only value of the end line's `type`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum EndType {
    End,
}

impl End {
    fn new(counts: Counts) -> End {
        End {
            kind: EndType::End,
            tags: counts.tags,
            assignments: counts.assignments,
            updates: counts.updates,
            events: counts.events,
        }
    }

    fn counts(&self) -> Counts {
        Counts { tags: self.tags, assignments: self.assignments, updates: self.updates, events: self.events }
    }
}

/// Any line after the header.
#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Record(Box<Record>),
    End(End),
}

/// Writes a stream: the header, then each record given, then (on
/// [`ExportWriter::finish`]) the end line.
pub struct ExportWriter<W: Write> {
    out: W,
    counts: Counts,
}

impl<W: Write> ExportWriter<W> {
    /// Writes the header naming `generator` (such as `diun-dashboard 1.2.0`).
    pub fn new(mut out: W, generator: &str) -> io::Result<Self> {
        let header = Header { format: FORMAT.into(), version: VERSION, generator: generator.into() };
        write_line(&mut out, &header)?;
        Ok(ExportWriter { out, counts: Counts::default() })
    }

    /// Writes one record.
    pub fn write(&mut self, record: &Record) -> io::Result<()> {
        write_line(&mut self.out, record)?;
        self.counts.add(record);
        Ok(())
    }

    /// The records written so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Writes the end line and flushes; returns the writer and the counts.
    pub fn finish(mut self) -> io::Result<(W, Counts)> {
        write_line(&mut self.out, &End::new(self.counts))?;
        self.out.flush()?;
        Ok((self.out, self.counts))
    }
}

fn write_line(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// Reads a stream line by line, checking it as it goes: an iterator of its
/// records for [`crate::Store::import`].
///
/// It fails with [`StoreError::Invalid`] naming the line for a header of
/// another format or an unknown version, a line that is not a record, a tag
/// named twice, an assignment to a tag not declared before it, an update
/// given twice, an event before its update, anything after the end line, or
/// a stream that stops before it (a cut stream). After a failure it yields
/// nothing more.
pub struct ExportReader<I> {
    lines: I,
    line: u64,
    started: bool,
    finished: bool,
    failed: bool,
    counts: Counts,
    tags: HashSet<String>,
    updates: HashSet<(String, String)>,
    /// Each update's newest event so far: history comes oldest first.
    last_event: HashMap<(String, String), DateTime<Utc>>,
}

impl<I: Iterator<Item = io::Result<String>>> ExportReader<I> {
    /// Reads the lines of `lines` (such as [`std::io::BufRead::lines`]).
    pub fn new(lines: I) -> Self {
        ExportReader {
            lines,
            line: 0,
            started: false,
            finished: false,
            failed: false,
            counts: Counts::default(),
            tags: HashSet::new(),
            updates: HashSet::new(),
            last_event: HashMap::new(),
        }
    }

    /// The number of the last line read, from 1.
    pub fn line(&self) -> u64 {
        self.line
    }

    fn fail(&self, why: impl std::fmt::Display) -> StoreError {
        StoreError::Invalid(format!("line {}: {why}", self.line))
    }

    fn next_line(&mut self) -> Option<StoreResult<String>> {
        let line = self.lines.next()?;
        self.line += 1;
        Some(line.map_err(|err| self.fail(format!("cannot be read: {err}"))))
    }

    fn header(&mut self) -> StoreResult<()> {
        let line = match self.next_line() {
            None => return Err(StoreError::Invalid("the stream is empty: no header line".into())),
            Some(line) => line?,
        };
        let value: serde_json::Value =
            serde_json::from_str(&line).map_err(|err| self.fail(format!("the header is not JSON: {err}")))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(self.fail(format!("not a Diun Dashboard export (no \"format\":\"{FORMAT}\" header)")));
        }
        let header: Header = serde_json::from_value(value).map_err(|err| self.fail(format!("bad header: {err}")))?;
        if header.version != VERSION {
            return Err(self
                .fail(format!("the export is version {}, this program reads version {VERSION} only", header.version)));
        }
        Ok(())
    }

    fn check(&mut self, record: &Record) -> StoreResult<()> {
        match record {
            Record::Tag(tag) => {
                let name = TagName::parse(&tag.name).map_err(|err| self.fail(err))?;
                if name.as_str() != tag.name {
                    return Err(self.fail(format!("the tag name {:?} has spaces around it", tag.name)));
                }
                if !self.tags.insert(name.key()) {
                    return Err(self.fail(format!("the tag {:?} is given twice (names ignore case)", tag.name)));
                }
            }
            Record::Assignment(assignment) => {
                let known = TagName::parse(&assignment.tag).is_ok_and(|name| self.tags.contains(&name.key()));
                if !known {
                    return Err(self.fail(format!("the tag {:?} is not declared before it", assignment.tag)));
                }
            }
            Record::Update(update) => {
                if update.event_count < 0 {
                    return Err(self.fail("event_count is negative"));
                }
                if !self.updates.insert((update.hostname.clone(), update.image.clone())) {
                    return Err(
                        self.fail(format!("the update of {} on {} is given twice", update.image, update.hostname))
                    );
                }
            }
            Record::Event(event) => {
                let key = (event.hostname.clone(), event.image.clone());
                if !self.updates.contains(&key) {
                    return Err(
                        self.fail(format!("an event of {} on {} comes before its update", event.image, event.hostname))
                    );
                }
                if self.last_event.get(&key).is_some_and(|last| *last > event.received_at) {
                    return Err(self.fail("events must come oldest first"));
                }
                self.last_event.insert(key, event.received_at);
            }
        }
        Ok(())
    }

    fn read(&mut self) -> Option<StoreResult<Record>> {
        if !self.started {
            self.started = true;
            if let Err(err) = self.header() {
                return Some(Err(err));
            }
        }
        loop {
            let line = match self.next_line() {
                None if self.finished => return None,
                None => {
                    return Some(Err(StoreError::Invalid(format!(
                        "the stream stops after line {} without its end line: it was cut short",
                        self.line
                    ))))
                }
                Some(Err(err)) => return Some(Err(err)),
                Some(Ok(line)) => line,
            };
            if self.finished {
                return Some(Err(self.fail("there is more after the end line")));
            }
            let parsed = match serde_json::from_str::<Line>(&line) {
                Ok(parsed) => parsed,
                Err(_) => return Some(Err(self.explain(&line))),
            };
            match parsed {
                Line::End(end) => {
                    let counts = end.counts();
                    if counts != self.counts {
                        return Some(Err(
                            self.fail(format!("the end line counts {counts:?}, the stream holds {:?}", self.counts))
                        ));
                    }
                    self.finished = true;
                }
                Line::Record(record) => {
                    if let Err(err) = self.check(&record) {
                        return Some(Err(err));
                    }
                    self.counts.add(&record);
                    return Some(Ok(*record));
                }
            }
        }
    }

    /// Says why a line is neither a record nor the end line.
    fn explain(&self, line: &str) -> StoreError {
        let value: serde_json::Value = match serde_json::from_str(line) {
            Ok(value) => value,
            Err(err) => return self.fail(format!("not valid JSON: {err}")),
        };
        let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or_default().to_owned();
        let err = match kind.as_str() {
            "tag" => serde_json::from_value::<TagRecord>(strip_type(value)).err(),
            "assignment" => serde_json::from_value::<AssignmentRecord>(strip_type(value)).err(),
            "update" => serde_json::from_value::<UpdateRecord>(strip_type(value)).err(),
            "event" => serde_json::from_value::<EventRecord>(strip_type(value)).err(),
            "end" => serde_json::from_value::<End>(value).err(),
            "" => return self.fail("a record without a \"type\""),
            other => return self.fail(format!("unknown record type {other:?}")),
        };
        match err {
            Some(err) => self.fail(format!("a bad {kind} record: {err}")),
            None => self.fail(format!("a bad {kind} record")),
        }
    }
}

fn strip_type(mut value: serde_json::Value) -> serde_json::Value {
    if let Some(object) = value.as_object_mut() {
        object.remove("type");
    }
    value
}

impl<I: Iterator<Item = io::Result<String>>> Iterator for ExportReader<I> {
    type Item = StoreResult<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.read();
        if matches!(item, Some(Err(_))) {
            self.failed = true;
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> StoreResult<Vec<Record>> {
        ExportReader::new(text.lines().map(|line| Ok(line.to_owned()))).collect()
    }

    fn stream(records: &[Record]) -> String {
        let mut writer = ExportWriter::new(Vec::new(), "test").unwrap();
        for record in records {
            writer.write(record).unwrap();
        }
        String::from_utf8(writer.finish().unwrap().0).unwrap()
    }

    fn time(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn sample() -> Vec<Record> {
        let update = UpdateRecord {
            hostname: "nas".into(),
            image: "nginx:1".into(),
            status: UpdateStatus::Update,
            provider: "docker".into(),
            hub_link: String::new(),
            mime_type: "m".into(),
            digest: "sha256:1".into(),
            created: None,
            platform: "linux/amd64".into(),
            diun_version: "4".into(),
            metadata: [("k".to_owned(), "line\nbreak".to_owned())].into(),
            first_seen_at: time("2026-01-01T00:00:00.123456Z"),
            last_seen_at: time("2026-01-02T00:00:00Z"),
            acknowledged_at: Some(time("2026-01-03T00:00:00Z")),
            event_count: 1,
        };
        let event = EventRecord {
            hostname: "nas".into(),
            image: "nginx:1".into(),
            received_at: time("2026-01-02T00:00:00Z"),
            status: UpdateStatus::New,
            digest: "sha256:1".into(),
            created: Some(time("2025-12-31T23:00:00Z")),
            diun_version: "4".into(),
            metadata: Metadata::new(),
        };
        vec![
            Record::Tag(TagRecord { name: "Media".into(), created_at: time("2026-01-01T00:00:00Z") }),
            Record::Assignment(AssignmentRecord { image: "nginx:1".into(), tag: "media".into() }),
            Record::Update(update),
            Record::Event(event),
        ]
    }

    #[test]
    fn a_stream_reads_back_as_written() {
        let text = stream(&sample());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        assert_eq!(lines[0], r#"{"format":"diun-dashboard-export","version":1,"generator":"test"}"#);
        assert_eq!(lines[5], r#"{"type":"end","tags":1,"assignments":1,"updates":1,"events":1}"#);
        assert!(lines[3].contains(r#""first_seen_at":"2026-01-01T00:00:00.123456Z""#), "{}", lines[3]);
        assert_eq!(read(&text).unwrap(), sample());
    }

    #[test]
    fn times_keep_microseconds() {
        let fine = time("2026-01-01T00:00:00.123456789+02:00");
        assert_eq!(format_time(&truncate_to_micros(fine)), "2025-12-31T22:00:00.123456Z");
        let text = stream(&sample()).replace(".123456Z", ".123456789Z");
        let Record::Update(update) = &read(&text).unwrap()[2] else { panic!() };
        assert_eq!(update.first_seen_at, time("2026-01-01T00:00:00.123456Z"));
    }

    #[test]
    fn refusals_name_the_line() {
        let good = stream(&sample());
        let with_line = |n: usize, text: &str| {
            let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
            lines[n - 1] = text.to_owned();
            lines.join("\n")
        };
        let cases = [
            (with_line(1, r#"{"format":"diun-dashboard-export","version":2}"#), "line 1: the export is version 2"),
            (with_line(1, r#"{"hello":1}"#), "line 1: not a Diun Dashboard export"),
            (with_line(3, r#"{"type":"assignment","image":"x""#), "line 3: not valid JSON"),
            (with_line(3, r#"{"type":"assignment","image":"x","tag":"other"}"#), "line 3: the tag \"other\""),
            (with_line(4, r#"{"type":"update"}"#), "line 4: a bad update record: missing field"),
            (with_line(4, r#"{"type":"mystery"}"#), "line 4: unknown record type \"mystery\""),
            (with_line(6, r#"{"type":"end","tags":1,"assignments":1,"updates":1,"events":7}"#), "line 6: the end"),
            (good.lines().take(5).collect::<Vec<_>>().join("\n"), "stops after line 5 without its end line"),
            (format!("{good}{{}}\n"), "line 7: there is more after the end line"),
            (String::new(), "the stream is empty"),
        ];
        for (text, expected) in cases {
            let err = read(&text).unwrap_err().to_string();
            assert!(err.contains(expected), "expected {expected:?}, got {err:?}");
        }
        // An event before its update.
        let mut records = sample();
        records.swap(2, 3);
        let err = read(&stream(&records)).unwrap_err().to_string();
        assert!(err.starts_with("line 4: an event of nginx:1 on nas comes before its update"), "{err}");
        // A tag named twice, ignoring case.
        let mut records = sample();
        records.insert(1, Record::Tag(TagRecord { name: "MEDIA".into(), created_at: Utc::now() }));
        let err = read(&stream(&records)).unwrap_err().to_string();
        assert!(err.starts_with("line 3: the tag \"MEDIA\" is given twice"), "{err}");
    }
}
