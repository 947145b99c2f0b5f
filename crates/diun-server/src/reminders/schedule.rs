//! When reminders go out: "daily at a time" or "weekly on a day at a time",
//! in a named time zone.
//!
//! Everything here is a pure function of `now`, so that the tests can walk
//! the clock through daylight-saving changes without waiting for one.
//!
//! Zones come from jiff's copy of the IANA database, built into the binary
//! as compact TZif data (chrono-tz's tables of every zone's transitions,
//! pointers the loader relocates at start, cost 1 MiB of every process's
//! memory, whether reminders are on or not).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Timelike, Utc, Weekday};
use jiff::tz::TimeZone;
use jiff::{civil, Timestamp};

/// How often: every day, or one day of the week; always at a local time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// Every day.
    Daily,
    /// Every week on this day.
    Weekly(Weekday),
}

/// A reminder schedule, such as `daily 09:00` or `weekly mon 08:30` in `Europe/Paris`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Which days.
    pub cadence: Cadence,
    /// The local time of day.
    pub at: NaiveTime,
    /// The zone the time of day is read in.
    pub zone: TimeZone,
}

impl Schedule {
    /// Reads `daily HH:MM` or `weekly DAY HH:MM` (DAY: `mon` … `sun`, or the
    /// full English name, any case), in the IANA zone `zone` (`UTC`,
    /// `Europe/Paris`, …). The error says what is wrong, for a setting's message.
    pub fn parse(text: &str, zone: &str) -> Result<Schedule, String> {
        let zone = TimeZone::get(zone.trim())
            .map_err(|_| format!("{:?} is not an IANA time zone name such as UTC or Europe/Paris", zone.trim()))?;
        let words: Vec<&str> = text.split_whitespace().collect();
        let (cadence, time) = match words.as_slice() {
            [daily, time] if daily.eq_ignore_ascii_case("daily") => (Cadence::Daily, *time),
            [weekly, day, time] if weekly.eq_ignore_ascii_case("weekly") => {
                let day = Weekday::from_str(day)
                    .map_err(|_| format!("{day:?} is not a day of the week (mon, tue, … sun)"))?;
                (Cadence::Weekly(day), *time)
            }
            _ => return Err(format!("{text:?} must be \"daily HH:MM\", \"weekly DAY HH:MM\" or \"off\"")),
        };
        let at = NaiveTime::parse_from_str(time, "%H:%M")
            .map_err(|_| format!("{time:?} is not a time of day as HH:MM (24-hour)"))?;
        Ok(Schedule { cadence, at, zone })
    }

    /// A stable name of this schedule, part of the key under which replicas
    /// claim a slot: two replicas with the same settings agree on it, and a
    /// changed schedule never collides with the old one's slots.
    pub fn key(&self) -> String {
        self.to_string()
    }

    /// The first slot strictly after `now`.
    pub fn next_after(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let today = self.local_date(now);
        // A slot is at most 7 days away; start a day early, since the local
        // date of `now` may still be yesterday's slot day in another offset.
        (-1..=8)
            .filter_map(|offset| today.checked_add_signed(Duration::days(offset)))
            .filter(|day| self.runs_on(*day))
            .map(|day| self.instant_on(day))
            .find(|slot| *slot > now)
            .expect("a daily or weekly slot lies within eight days")
    }

    /// The latest slot at or before `now`.
    pub fn latest_at_or_before(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let today = self.local_date(now);
        (-8..=1)
            .rev()
            .filter_map(|offset| today.checked_add_signed(Duration::days(offset)))
            .filter(|day| self.runs_on(*day))
            .map(|day| self.instant_on(day))
            .find(|slot| *slot <= now)
            .expect("a daily or weekly slot lies within eight days")
    }

    fn runs_on(&self, day: NaiveDate) -> bool {
        match self.cadence {
            Cadence::Daily => true,
            Cadence::Weekly(weekday) => day.weekday() == weekday,
        }
    }

    /// The date in the schedule's zone at `now`.
    fn local_date(&self, now: DateTime<Utc>) -> NaiveDate {
        let now = Timestamp::from_second(now.timestamp()).expect("the clock reads a time within years -9999 to 9999");
        let date = self.zone.to_datetime(now).date();
        NaiveDate::from_ymd_opt(
            i32::from(date.year()),
            date.month().unsigned_abs().into(),
            date.day().unsigned_abs().into(),
        )
        .expect("jiff's dates are chrono's dates")
    }

    /// The instant of the slot on local date `day`.
    ///
    /// Daylight saving makes some local times happen twice and others never:
    /// - twice (autumn, clocks go back): the first of the two, so a slot runs once;
    /// - never (spring, clocks go forward): as late after the change as the
    ///   time was into the gap, e.g. 02:30 in Paris on the spring change is
    ///   03:30 summer time (the offset of before the change applied), so the
    ///   day's slot still runs, about when it would have.
    ///
    /// Both are jiff's "compatible" choice (RFC 5545's, as in iCalendar).
    fn instant_on(&self, day: NaiveDate) -> DateTime<Utc> {
        let small = |n: u32| i8::try_from(n).expect("a month, day, hour or minute fits in i8");
        let local = civil::DateTime::new(
            i16::try_from(day.year()).expect("a slot lies within years -9999 to 9999"),
            small(day.month()),
            small(day.day()),
            small(self.at.hour()),
            small(self.at.minute()),
            0,
            0,
        )
        .expect("a date and time of day that chrono accepted");
        let at = self.zone.to_ambiguous_timestamp(local).compatible().expect("a slot lies within years -9999 to 9999");
        DateTime::from_timestamp(at.as_second(), 0).expect("jiff's instants are chrono's instants")
    }
}

impl Schedule {
    /// The zone's IANA name, as the database spells it.
    fn zone_name(&self) -> &str {
        // Every zone made by `parse` comes from the database, so it has a name.
        self.zone.iana_name().unwrap_or("UTC")
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cadence {
            Cadence::Daily => write!(f, "daily {} {}", self.at.format("%H:%M"), self.zone_name()),
            Cadence::Weekly(day) => write!(f, "weekly {day} {} {}", self.at.format("%H:%M"), self.zone_name()),
        }
    }
}

/// Follows a schedule as the clock moves, telling when a slot is due.
///
/// It starts from the first slot after its start: a slot missed while the
/// server was down is not sent late (a reminder hours late, after a restart,
/// would surprise more than help; the next one comes on time). When the
/// clock jumped past several slots (a suspended machine), only one is due.
#[derive(Debug, Clone)]
pub struct SlotClock {
    schedule: Schedule,
    next: DateTime<Utc>,
}

impl SlotClock {
    /// Starts following `schedule` at `now`.
    pub fn start(schedule: Schedule, now: DateTime<Utc>) -> Self {
        SlotClock { next: schedule.next_after(now), schedule }
    }

    /// The next slot to fire.
    pub fn next(&self) -> DateTime<Utc> {
        self.next
    }

    /// The slot due at `now`, if one is, and moves on to the following one.
    pub fn poll(&mut self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if now < self.next {
            return None;
        }
        let due = self.schedule.latest_at_or_before(now);
        self.next = self.schedule.next_after(now);
        Some(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn paris(text: &str) -> Schedule {
        Schedule::parse(text, "Europe/Paris").unwrap()
    }

    #[test]
    fn parses_daily_and_weekly_and_names_the_mistake() {
        let s = Schedule::parse("daily 09:00", "UTC").unwrap();
        assert_eq!((s.cadence, s.at), (Cadence::Daily, NaiveTime::from_hms_opt(9, 0, 0).unwrap()));
        let s = Schedule::parse("Weekly Monday 18:30", "Europe/Paris").unwrap();
        assert_eq!(s.cadence, Cadence::Weekly(Weekday::Mon));
        assert_eq!(s.to_string(), "weekly Mon 18:30 Europe/Paris");
        assert!(Schedule::parse("daily 9", "UTC").unwrap_err().contains("HH:MM"));
        assert!(Schedule::parse("daily 25:00", "UTC").unwrap_err().contains("HH:MM"));
        assert!(Schedule::parse("weekly someday 09:00", "UTC").unwrap_err().contains("day of the week"));
        assert!(Schedule::parse("hourly", "UTC").unwrap_err().contains("daily HH:MM"));
        assert!(Schedule::parse("daily 09:00", "Mars/Olympus").unwrap_err().contains("IANA"));
    }

    #[test]
    fn daily_slot_is_today_until_it_passes_then_tomorrow() {
        let s = Schedule::parse("daily 09:00", "UTC").unwrap();
        assert_eq!(s.next_after(utc("2026-12-02T08:59:59Z")), utc("2026-12-02T09:00:00Z"));
        // Strictly after: at the slot itself, the next is tomorrow's.
        assert_eq!(s.next_after(utc("2026-12-02T09:00:00Z")), utc("2026-12-03T09:00:00Z"));
        assert_eq!(s.latest_at_or_before(utc("2026-12-02T09:00:00Z")), utc("2026-12-02T09:00:00Z"));
        assert_eq!(s.latest_at_or_before(utc("2026-12-02T08:59:00Z")), utc("2026-12-01T09:00:00Z"));
    }

    #[test]
    fn local_time_follows_the_zone_offset_in_winter_and_summer() {
        let s = paris("daily 09:00");
        // CET is UTC+1, CEST UTC+2.
        assert_eq!(s.next_after(utc("2026-12-02T00:00:00Z")), utc("2026-12-02T08:00:00Z"));
        assert_eq!(s.next_after(utc("2026-07-01T00:00:00Z")), utc("2026-07-01T07:00:00Z"));
        // 23:30Z on Dec 2 is already Dec 3 in Paris (00:30): the next 09:00 is Dec 3's.
        assert_eq!(s.next_after(utc("2026-12-02T23:30:00Z")), utc("2026-12-03T08:00:00Z"));
    }

    #[test]
    fn weekly_slot_lands_on_its_day() {
        // 2026-12-02 is a Wednesday.
        let s = paris("weekly mon 08:30");
        assert_eq!(s.next_after(utc("2026-12-02T12:00:00Z")), utc("2026-12-07T07:30:00Z"));
        assert_eq!(s.latest_at_or_before(utc("2026-12-02T12:00:00Z")), utc("2026-11-30T07:30:00Z"));
        // On the day, before and after the time.
        assert_eq!(s.next_after(utc("2026-12-07T07:29:00Z")), utc("2026-12-07T07:30:00Z"));
        assert_eq!(s.next_after(utc("2026-12-07T07:30:00Z")), utc("2026-12-14T07:30:00Z"));
    }

    #[test]
    fn spring_forward_gap_runs_once_just_after_the_change() {
        // 2026-03-29: Paris goes from 02:00 CET straight to 03:00 CEST (01:00Z).
        let s = paris("daily 02:30");
        let slot = s.next_after(utc("2026-03-28T12:00:00Z"));
        // 02:30 at the winter offset: 01:30Z, which is 03:30 CEST.
        assert_eq!(slot, utc("2026-03-29T01:30:00Z"));
        assert_eq!(s.next_after(slot), utc("2026-03-30T00:30:00Z"));
        // The days around it keep their own offsets.
        assert_eq!(s.latest_at_or_before(utc("2026-03-29T01:00:00Z")), utc("2026-03-28T01:30:00Z"));
        // A slot just before the gap is untouched.
        assert_eq!(paris("daily 01:59").next_after(utc("2026-03-28T12:00:00Z")), utc("2026-03-29T00:59:00Z"));
    }

    #[test]
    fn fall_back_repeated_hour_runs_once_at_the_first() {
        // 2026-10-25: Paris goes from 03:00 CEST back to 02:00 CET (01:00Z); 02:30 happens twice.
        let s = paris("daily 02:30");
        let slot = s.next_after(utc("2026-10-24T12:00:00Z"));
        assert_eq!(slot, utc("2026-10-25T00:30:00Z"));
        // The second 02:30 (01:30Z) is not another slot.
        assert_eq!(s.next_after(slot), utc("2026-10-26T01:30:00Z"));
        let mut clock = SlotClock::start(s, utc("2026-10-24T12:00:00Z"));
        let fired: Vec<_> = (0..(36 * 60))
            .map(|minute| utc("2026-10-24T12:00:00Z") + Duration::minutes(minute))
            .filter_map(|now| clock.poll(now))
            .collect();
        assert_eq!(fired, vec![utc("2026-10-25T00:30:00Z")]);
    }

    #[test]
    fn slot_clock_fires_once_per_slot_and_never_for_slots_before_its_start() {
        let s = Schedule::parse("daily 09:00", "UTC").unwrap();
        let mut clock = SlotClock::start(s, utc("2026-12-02T09:00:30Z"));
        assert_eq!(clock.next(), utc("2026-12-03T09:00:00Z"));
        assert_eq!(clock.poll(utc("2026-12-03T08:59:59Z")), None);
        assert_eq!(clock.poll(utc("2026-12-03T09:00:05Z")), Some(utc("2026-12-03T09:00:00Z")));
        assert_eq!(clock.poll(utc("2026-12-03T09:00:10Z")), None);
        // A machine suspended for three days: one slot, the latest.
        assert_eq!(clock.poll(utc("2026-12-07T10:00:00Z")), Some(utc("2026-12-07T09:00:00Z")));
        assert_eq!(clock.next(), utc("2026-12-08T09:00:00Z"));
    }
}
