//! External events as the host receives them: [`RawEvent`] as queued (UTF-16, one buffer), and
//! [`Event`], its decoded strings.

use std::time::SystemTime;

use super::ffi::decode_lossy;

/// One external event, as `ВнешнееСобытие(Источник, Событие, Данные)` receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `Источник`.
    pub source: String,
    /// `Событие`.
    pub event: String,
    /// `Данные`.
    pub data: String,
}

/// One external event as the host queued it: the three strings exactly as `ExternalEvent` passed
/// them (UTF-16 without their NULs, in one buffer), as 1C keeps them. Decoded into an [`Event`]
/// only when asked ([`RawEvent::decode`]); [`Object::take_events`] hands these out.
#[derive(Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// `source`, then `event`, then `data`.
    units: Vec<u16>,
    /// Where `event` starts in `units`.
    event_at: usize,
    /// Where `data` starts in `units`.
    data_at: usize,
    /// When `ExternalEvent` was called with it.
    received_at: SystemTime,
}

impl RawEvent {
    /// The event made of `units`: `source` is `units[..event_at]`, `event` runs to `data_at`,
    /// `data` is the rest; `ExternalEvent` was called at `received_at`.
    pub(crate) fn new(
        units: Vec<u16>,
        event_at: usize,
        data_at: usize,
        received_at: SystemTime,
    ) -> RawEvent {
        assert!(event_at <= data_at && data_at <= units.len());
        RawEvent {
            units,
            event_at,
            data_at,
            received_at,
        }
    }

    /// When the add-in called `ExternalEvent` with it (the system's wall clock, which other
    /// processes read too).
    pub fn received_at(&self) -> SystemTime {
        self.received_at
    }

    /// `Источник` as UTF-16 units.
    pub fn source_units(&self) -> &[u16] {
        &self.units[..self.event_at]
    }

    /// `Событие` as UTF-16 units.
    pub fn event_units(&self) -> &[u16] {
        &self.units[self.event_at..self.data_at]
    }

    /// `Данные` as UTF-16 units.
    pub fn data_units(&self) -> &[u16] {
        &self.units[self.data_at..]
    }

    /// The event with its strings decoded (unpaired surrogates as U+FFFD).
    pub fn decode(&self) -> Event {
        Event {
            source: decode_lossy(self.source_units()),
            event: decode_lossy(self.event_units()),
            data: decode_lossy(self.data_units()),
        }
    }
}

impl std::fmt::Debug for RawEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = self.decode();
        f.debug_struct("RawEvent")
            .field("source", &e.source)
            .field("event", &e.event)
            .field("data", &e.data)
            .finish()
    }
}
