//! The Dispatcher actor: the only code that hands events to 1C.
//!
//! In events mode it calls `ExternalEvent` (through [`EventSink`]) from its own task, with
//! UTF-16 buffers it reuses; in queue mode (or when the platform gave no sink) it puts events in
//! the object's queue for `GetEvent`. When `Done` starts it stops delivering and drains.

use std::sync::Arc;
use std::time::Duration;

use async_channel::Receiver;

use super::shared::Shared;
use crate::events::{self, HostEvent};
use crate::host::EventSink;
use crate::rt;
use crate::text;
use crate::wide;

/// How often, and after what pauses, a refused `ExternalEvent` is tried again before the event
/// goes to the queue instead. The platform refuses when its buffer is full; 1C drains that
/// buffer when its main loop is idle, so a short wait usually suffices.
const RETRY_PAUSES: [Duration; 3] = [
    Duration::from_millis(5),
    Duration::from_millis(50),
    Duration::from_millis(250),
];

/// Runs until the registry drops its sender.
pub async fn run(
    inbox: Receiver<HostEvent>,
    shared: Arc<Shared>,
    sink: Option<Arc<dyn EventSink>>,
) {
    let mut buffers = Buffers::default();
    while let Ok(event) = inbox.recv().await {
        if shared.closing() {
            continue;
        }
        match &sink {
            Some(sink) if !shared.queue_mode() => {
                if !deliver(sink.as_ref(), &shared, &mut buffers, &event).await {
                    to_queue_after_refusal(&shared, event).await;
                }
            }
            _ => {
                // Bounded: waits while the queue is full, which in the end stops the socket
                // reads. Nothing is dropped.
                let _ = shared.queue_sender().send(event).await;
            }
        }
    }
}

/// Reused UTF-16 buffers: one conversion per string, no allocation per event once warm.
#[derive(Default)]
struct Buffers {
    event: Vec<u16>,
    data: Vec<u16>,
}

/// Calls `ExternalEvent`, retrying a refusal a few times. True when the platform took it.
async fn deliver(
    sink: &dyn EventSink,
    shared: &Shared,
    buffers: &mut Buffers,
    event: &HostEvent,
) -> bool {
    let source = shared.source();
    wide::encode_nul_into(&event.event, &mut buffers.event);
    wide::encode_nul_into(&event.data, &mut buffers.data);
    if sink.external_event(&source, &buffers.event, &buffers.data) {
        return true;
    }
    for pause in RETRY_PAUSES {
        rt::sleep(pause).await;
        if shared.closing() {
            return true;
        }
        if sink.external_event(&source, &buffers.event, &buffers.data) {
            return true;
        }
    }
    false
}

/// The platform would not take the event: keep it for `GetEvent` and say so, so that nothing is
/// lost silently.
async fn to_queue_after_refusal(shared: &Shared, event: HostEvent) {
    let count = shared.count_undelivered();
    let note = text!(
        "1C's external event buffer is full: {} event(s) moved to the queue (read them with GetEvent, or raise EventBufferDepth)", count;
        "буфер внешних событий 1С переполнен: {} событий перемещено в очередь (прочитайте их ПолучитьСобытие или увеличьте ГлубинаБуфераСобытий)", count
    );
    shared.set_last_error(note.clone());
    let _ = shared.queue_sender().send(event).await;
    let _ = shared
        .queue_sender()
        .send(events::error(&note.en, None))
        .await;
}
