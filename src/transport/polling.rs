//! The HTTP long-polling transport: the handshake, the GET loop and the POSTs of one session.
//!
//! * [`open`]: the handshake `GET …&transport=polling`. Without a known revision it asks with
//!   `EIO=4` and reads the revision from the answer's framing (1.x/2.x servers ignore `EIO=4` and
//!   answer in Engine.IO 3): the session that answer opened is kept, in whichever revision.
//! * [`PollingReader`]: the GET loop runs in its own task (started on the first
//!   [`PollingReader::next`]) and hands packets over a bounded channel, because the Engine's
//!   select loop drops a pending `next()` whenever another branch wins, and a GET must never be
//!   dropped half-way. Dropping the reader closes the channels; the task sees that and ends, also
//!   in the middle of a GET; [`PollingReader::close`] waits for it.
//! * [`PollingWriter`]: POSTs from the writing actor's own task, one at a time, each within the
//!   server's `maxPayload`.
//!
//! The reader also takes part in the upgrade to websocket: [`PollingReader::probing`] before the
//! probe, then [`PollingReader::pause`] (the GET loop stops after the poll in flight, which the
//! server ends with a noop, and reports [`Incoming::Drained`]) or [`PollingReader::resume`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use async_channel::{Receiver, Sender};
use futures::FutureExt;

use super::cookies::CookieJar;
use super::error::TransportError;
use super::http::{HttpClient, Method, Response};
use super::io::{log_sent, Incoming};
use super::url;
use crate::config::ConnectRequest;
use crate::protocol::engineio::{OpenInfo, Packet};
use crate::protocol::{polling, EioVersion};
use crate::rt::{self, Task};

/// The `Content-Type` of an Engine.IO 4 POST body (text; binary packets as base64).
const TEXT_CONTENT_TYPE: &str = "text/plain;charset=UTF-8";

/// The `Content-Type` of an Engine.IO 3 POST body: the binary framing, which 1.x, 2.x, 4.x
/// (`allowEIO3`) and python-engineio 3 servers all read alike (their text framings differ).
const BINARY_CONTENT_TYPE: &str = "application/octet-stream";

/// The `maxPayload` assumed when the server does not announce one (Engine.IO 3 and servers
/// before engine.io 6.2): socket.io's default `maxHttpBufferSize`.
const DEFAULT_MAX_PAYLOAD: u64 = 1_000_000;

/// Most packets queued for one flush ([`PollingWriter::batch_size`]) when the server takes any
/// number per POST: a burst of small sends leaves in a few POSTs (`maxPayload` still splits a
/// larger batch), and the caller's turn stays bounded.
const POLLING_BATCH: usize = 1024;

/// Added to the server's heartbeat window for a request's timeout: a poll is answered at least
/// once per ping interval, a POST at once.
const REQUEST_SLACK: Duration = Duration::from_secs(5);

/// How many batches of packets wait between the GET task and the Engine (backpressure: a
/// slow Engine stops the polling).
const BATCHES_IN_FLIGHT: usize = 4;

/// How long [`PollingReader::close`] waits for the GET task before cancelling it.
const STOP_WAIT: Duration = Duration::from_millis(500);

/// A polling session just opened.
pub struct Opened {
    /// The server's open packet.
    pub open: OpenInfo,
    /// The revision the server answered in.
    pub version: EioVersion,
    /// Receives packets (the GET loop, not started yet).
    pub reader: PollingReader,
    /// Sends packets.
    pub writer: PollingWriter,
}

/// Opens a polling session: the handshake GET. `version` `None` asks with `EIO=4` and takes the
/// revision of the answer; a known `version` is required of the server.
pub async fn open(
    req: &Arc<ConnectRequest>,
    version: Option<EioVersion>,
    jar: Arc<CookieJar>,
) -> Result<Opened, TransportError> {
    let asked = version.unwrap_or(EioVersion::V4);
    let target = url::engine_target(req, false, asked, None);
    let mut http = HttpClient::new(req.clone(), jar.clone());
    let response = http
        .send(Method::Get, &target, None, req.config.timeout)
        .await?;
    if response.status != 200 {
        return Err(response.refusal(asked));
    }
    let Some(found) = polling::detect_version(&response.body) else {
        let shown = Response {
            status: response.status,
            binary: false,
            body: response.body.iter().copied().take(80).collect(),
        }
        .error_message();
        return Err(TransportError::NotEngineIo(shown));
    };
    if let Some(wanted) = version.filter(|&v| v != found) {
        return Err(TransportError::WrongVersion { wanted, found });
    }
    let mut packets: VecDeque<Packet> =
        polling::decode_payload(found, &response.body, response.binary)
            .map_err(TransportError::Protocol)?
            .into();
    let open = match packets.pop_front() {
        Some(Packet::Open(open)) => open,
        _ => {
            return Err(TransportError::Io(
                "the server's first answer is not the Engine.IO open packet".into(),
            ))
        }
    };
    packets.retain(|p| !matches!(p, Packet::Noop));
    let timeout = request_timeout(&open);
    let target = url::engine_target(req, false, found, Some(&open.sid));
    let writer = PollingWriter {
        http: HttpClient::new(req.clone(), jar),
        target: target.clone(),
        version: found,
        max_payload: open.max_payload.unwrap_or(DEFAULT_MAX_PAYLOAD),
        packets_per_post: open.packets_per_post.unwrap_or(usize::MAX),
        timeout,
        queue: Vec::new(),
    };
    let reader = PollingReader::new(http, target, found, timeout, packets);
    Ok(Opened {
        open,
        version: found,
        reader,
        writer,
    })
}

/// How long one request may take: the server's heartbeat window and some slack.
fn request_timeout(open: &OpenInfo) -> Duration {
    Duration::from_millis(open.ping_interval_ms.saturating_add(open.ping_timeout_ms))
        .saturating_add(REQUEST_SLACK)
}

/// What the GET task hands to the reader.
enum Item {
    Packets(Vec<Packet>),
    Failed(TransportError),
    /// Polling stopped for the upgrade; nothing follows.
    Paused,
}

/// Upgrade steps, from the Engine to the GET task.
#[derive(Debug, Clone, Copy)]
enum Control {
    /// A websocket probe is under way: a noop answer means the server is upgrading.
    Probing,
    /// The probe succeeded: stop after the poll in flight.
    Pause,
    /// The probe failed: poll on.
    Resume,
}

/// What the GET task needs, kept until it starts.
struct Start {
    http: HttpClient,
    target: String,
    version: EioVersion,
    timeout: Duration,
    items: Sender<Item>,
    control: Receiver<Control>,
}

/// The receiving side of a polling session.
pub struct PollingReader {
    items: Receiver<Item>,
    control: Sender<Control>,
    start: Option<Start>,
    task: Option<Task<()>>,
    buffered: VecDeque<Packet>,
}

impl PollingReader {
    fn new(
        http: HttpClient,
        target: String,
        version: EioVersion,
        timeout: Duration,
        buffered: VecDeque<Packet>,
    ) -> PollingReader {
        let (items_tx, items) = async_channel::bounded(BATCHES_IN_FLIGHT);
        let (control, control_rx) = async_channel::bounded(8);
        PollingReader {
            items,
            control,
            start: Some(Start {
                http,
                target,
                version,
                timeout,
                items: items_tx,
                control: control_rx,
            }),
            task: None,
            buffered,
        }
    }

    /// The next packet (or [`Incoming::Drained`] after a pause); `None` when polling ended.
    /// Starts the GET loop on the first call. Cancel safe.
    pub async fn next(&mut self) -> Option<Result<Incoming, TransportError>> {
        loop {
            if let Some(packet) = self.buffered.pop_front() {
                return Some(Ok(Incoming::Packet(packet)));
            }
            if let Some(start) = self.start.take() {
                self.task = Some(rt::spawn(poll_loop(start)));
            }
            match self.items.recv().await {
                Ok(Item::Packets(packets)) => self.buffered.extend(packets),
                Ok(Item::Failed(err)) => return Some(Err(err)),
                Ok(Item::Paused) => return Some(Ok(Incoming::Drained)),
                Err(_) => return None,
            }
        }
    }

    /// A websocket probe for this session starts now.
    pub fn probing(&self) {
        let _ = self.control.try_send(Control::Probing);
    }

    /// The probe succeeded: stop polling after the request in flight, then report
    /// [`Incoming::Drained`].
    pub fn pause(&self) {
        let _ = self.control.try_send(Control::Pause);
    }

    /// The probe failed: keep polling.
    pub fn resume(&self) {
        let _ = self.control.try_send(Control::Resume);
    }

    /// No new GET starts from now on; the one in flight (if any) goes on. Called before the
    /// close packet is POSTed, so that no poll can reach the server after the session's end.
    pub fn end_after_poll(&self) {
        self.items.close();
    }

    /// Ends the GET loop after the session was closed from this side ([`Self::end_after_poll`],
    /// then the close packet POSTed): the GET in flight is left to the server, which answers it
    /// as the session ends, as the JavaScript client leaves it; only a loop still running after
    /// `wait` is stopped.
    pub async fn finish(self, wait: Duration) {
        let PollingReader {
            items,
            control,
            task,
            ..
        } = self;
        drop(items);
        if let Some(mut task) = task {
            if rt::timeout(wait, &mut task).await.is_none() {
                drop(control);
                rt::cancel(task).await;
            }
        }
    }

    /// Stops the GET loop and waits until its task has ended.
    pub async fn close(self) {
        let PollingReader {
            items,
            control,
            task,
            ..
        } = self;
        // Closing both channels wakes the task wherever it waits (a GET, a full channel).
        drop((items, control));
        if let Some(mut task) = task {
            if rt::timeout(STOP_WAIT, &mut task).await.is_none() {
                rt::cancel(task).await;
            }
        }
    }
}

/// The GET loop: one poll at a time until the session ends, fails, pauses, or the reader is
/// dropped.
async fn poll_loop(start: Start) {
    let Start {
        mut http,
        target,
        version,
        timeout,
        items,
        control,
    } = start;
    let mut probing = false;
    let mut paused = false;
    loop {
        if paused {
            let _ = items.send(Item::Paused).await;
            return;
        }
        // The session is being closed from this side (`end_after_poll`): no new GET.
        if items.is_closed() {
            return;
        }
        let response = {
            let get = http.send(Method::Get, &target, None, timeout).fuse();
            futures::pin_mut!(get);
            loop {
                futures::select! {
                    response = get => break response,
                    c = control.recv().fuse() => match c {
                        Ok(c) => apply(c, &mut probing, &mut paused),
                        // The reader is gone: drop the GET and stop.
                        Err(_) => return,
                    },
                }
            }
        };
        let packets = match response.and_then(|r| decode(r, version)) {
            Ok(packets) => packets,
            Err(err) => {
                let _ = items.send(Item::Failed(err)).await;
                return;
            }
        };
        let noop = packets.iter().any(|p| matches!(p, Packet::Noop));
        let closed = packets.iter().any(|p| matches!(p, Packet::Close));
        let packets: Vec<Packet> = packets
            .into_iter()
            .filter(|p| !matches!(p, Packet::Noop))
            .collect();
        if !packets.is_empty() && items.send(Item::Packets(packets)).await.is_err() {
            return;
        }
        if closed {
            return;
        }
        while let Ok(c) = control.try_recv() {
            apply(c, &mut probing, &mut paused);
        }
        // A noop while probing: the server is switching this session to the websocket and will
        // not answer the next poll until it must. Wait for the probe's outcome first.
        while noop && probing && !paused {
            match control.recv().await {
                Ok(c) => apply(c, &mut probing, &mut paused),
                Err(_) => return,
            }
        }
    }
}

/// Records one upgrade step in the GET loop's two flags.
fn apply(c: Control, probing: &mut bool, paused: &mut bool) {
    match c {
        Control::Probing => *probing = true,
        Control::Pause => *paused = true,
        Control::Resume => *probing = false,
    }
}

/// The packets of a poll's answer.
fn decode(response: Response, version: EioVersion) -> Result<Vec<Packet>, TransportError> {
    if response.status != 200 {
        return Err(response.refusal(version));
    }
    polling::decode_payload(version, &response.body, response.binary)
        .map_err(TransportError::Protocol)
}

/// The sending side of a polling session: packets are queued by [`PollingWriter::feed`] and
/// POSTed by [`PollingWriter::flush`], one request at a time, each within `maxPayload` (as the
/// text framing would count it, which is never less than the binary framing of Engine.IO 3) and
/// the open packet's `packets_per_post` (16 unless the server is known to take more).
pub struct PollingWriter {
    http: HttpClient,
    target: String,
    version: EioVersion,
    max_payload: u64,
    packets_per_post: usize,
    timeout: Duration,
    queue: Vec<Packet>,
}

impl PollingWriter {
    /// How many packets a caller should queue before one flush: as many as one POST may carry,
    /// up to [`POLLING_BATCH`].
    pub fn batch_size(&self) -> usize {
        self.packets_per_post.min(POLLING_BATCH)
    }

    /// Queues one packet (sent by the next flush).
    pub fn feed(&mut self, packet: Packet) {
        log_sent(self.http.request().log.as_ref(), &packet);
        self.queue.push(packet);
    }

    /// POSTs everything queued, in as many requests as `maxPayload` needs.
    pub async fn flush(&mut self) -> Result<(), TransportError> {
        while !self.queue.is_empty() {
            let n = polling::fit_payload(self.version, &self.queue, self.max_payload)
                .min(self.packets_per_post)
                .clamp(1, self.queue.len());
            let packets = self.queue.get(..n).unwrap_or_default();
            let (content_type, body) = match self.version {
                EioVersion::V4 => (
                    TEXT_CONTENT_TYPE,
                    polling::encode_payload(self.version, packets),
                ),
                EioVersion::V3 => (
                    BINARY_CONTENT_TYPE,
                    polling::encode_binary_payload_v3(packets),
                ),
            };
            let sent = self
                .http
                .send(
                    Method::Post,
                    &self.target,
                    Some((content_type, &body)),
                    self.timeout,
                )
                .await;
            self.queue.drain(..n);
            match sent {
                Ok(response) if response.status == 200 => {}
                Ok(response) => {
                    self.queue.clear();
                    return Err(response.refusal(self.version));
                }
                Err(err) => {
                    self.queue.clear();
                    return Err(err);
                }
            }
        }
        Ok(())
    }

    /// Ends the session politely (a close packet, as the JS client does), giving up after `wait`.
    pub async fn close(mut self, wait: Duration) {
        self.queue.clear();
        self.queue.push(Packet::Close);
        let _ = rt::timeout(wait, self.flush()).await;
    }
}
