//! The process-wide table of Engine.IO connections: which engines exist, what makes two
//! `Connect`s shareable, and which namespaces ride on each engine.
//!
//! Two Client objects share an engine when everything that shapes the Engine.IO connection is
//! the same (server, path, query, headers, transports, revision, TLS and proxy settings) and the
//! engine has never carried the second object's namespace: as the JavaScript client's manager,
//! one Engine.IO connection carries each namespace once. A namespace that left an engine does not
//! come back to it (servers differ in what a second CONNECT for the same namespace means), so
//! `Disconnect` then `Connect` of a namespace opens a fresh engine while others keep theirs.
//!
//! Every change happens under one lock, held for a few map operations and never across an
//! `.await`: attaching, leaving, and the engine's own retirement, so an engine that retires can
//! never miss an `Attach` sent to it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_channel::{Receiver, Sender};
use once_cell::sync::Lazy;

use crate::actors::messages::{Batch, EngineCmd, SocketEvent};
use crate::config::ConnectRequest;
use crate::config::{ProtocolChoice, TransportKind};

/// What must be equal for two `Connect`s to share an Engine.IO connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EngineKey {
    /// Scheme, host, port and `Path`.
    server: String,
    /// The URI's query (it goes to the Engine.IO URL).
    uri_query: Vec<(String, String)>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    transports: Vec<TransportKind>,
    protocol: ProtocolChoice,
    verify_certificate: bool,
    ca_certificate: String,
    system_certificates: bool,
    client_certificate: String,
    client_certificate_password: String,
    proxy: String,
}

impl EngineKey {
    /// The key of `request`'s Engine.IO connection.
    pub fn of(request: &ConnectRequest) -> EngineKey {
        let s = &request.config;
        EngineKey {
            server: crate::transport::url::server_key(request),
            uri_query: request.endpoint.query.clone(),
            query: s.query.clone(),
            headers: s.headers.clone(),
            transports: s.transports.clone(),
            protocol: s.protocol,
            verify_certificate: s.verify_certificate,
            ca_certificate: s.ca_certificate.clone(),
            system_certificates: s.system_certificates,
            client_certificate: s.client_certificate.clone(),
            client_certificate_password: s.client_certificate_password.clone(),
            proxy: s.proxy.clone(),
        }
    }
}

/// What [`attach`] starts an engine with.
pub(super) struct Start {
    pub(super) id: u64,
    pub(super) key: Arc<EngineKey>,
    /// The first `Connect`: the settings the engine dials with.
    pub(super) request: Arc<ConnectRequest>,
    pub(super) commands: Receiver<EngineCmd>,
    /// Dropped when the engine is completely gone.
    pub(super) ended: Sender<()>,
}

/// One engine in the table.
struct Entry {
    id: u64,
    commands: Sender<EngineCmd>,
    ended: Receiver<()>,
    /// The namespaces attached now.
    attached: HashSet<Arc<str>>,
    /// Every namespace that ever attached.
    used: HashSet<Arc<str>>,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    engines: HashMap<Arc<EngineKey>, Vec<Entry>>,
}

static TABLE: Lazy<Mutex<Table>> = Lazy::new(Mutex::default);

/// The table stays consistent even if a holder panicked (each critical section is a few map
/// operations), so a poisoned lock is taken over.
fn table() -> MutexGuard<'static, Table> {
    crate::sync::lock(&TABLE)
}

/// A Connection's place on an engine, from [`attach`] until [`Link::detach`].
#[derive(Debug)]
pub struct Link {
    id: u64,
    key: Arc<EngineKey>,
    namespace: Arc<str>,
    commands: Sender<EngineCmd>,
    ended: Receiver<()>,
}

/// Puts `namespace` on an engine for `request`: a shareable one if there is, a new one
/// (started by `spawn`, under the table's lock, dialing with `request`) if not. The engine
/// sends `to` the session when it is open, the namespace's packets, and the end. (The engine
/// itself is [`super::attach`]'s `spawn`: the table does not import the actor, which imports
/// the table.)
pub(super) fn attach(
    request: &Arc<ConnectRequest>,
    namespace: Arc<str>,
    to: Sender<Batch<SocketEvent>>,
    spawn: impl FnOnce(Start),
) -> Link {
    let key = Arc::new(EngineKey::of(request));
    let mut table = table();
    let table = &mut *table;
    let engines = table.engines.entry(key.clone()).or_default();
    let i = match engines.iter().position(|e| !e.used.contains(&namespace)) {
        Some(i) => i,
        None => {
            table.next_id += 1;
            let id = table.next_id;
            // Unbounded: attaches and detaches are bounded by the objects that exist, and
            // sending never waits (so leaving never waits for a busy engine).
            let (commands, commands_rx) = async_channel::unbounded();
            let (ended_tx, ended) = async_channel::bounded(1);
            spawn(Start {
                id,
                key: key.clone(),
                request: request.clone(),
                commands: commands_rx,
                ended: ended_tx,
            });
            engines.push(Entry {
                id,
                commands,
                ended,
                attached: HashSet::new(),
                used: HashSet::new(),
            });
            engines.len() - 1
        }
    };
    let entry = &mut engines[i];
    entry.attached.insert(namespace.clone());
    entry.used.insert(namespace.clone());
    // Cannot fail: an engine closes its channel only after taking itself out of the table.
    let _ = entry.commands.try_send(EngineCmd::Attach {
        namespace: namespace.clone(),
        to,
    });
    Link {
        id: entry.id,
        key,
        namespace,
        commands: entry.commands.clone(),
        ended: entry.ended.clone(),
    }
}

impl Link {
    /// Leaves the engine. Returns its end signal (closed once its transport is closed and its
    /// tasks have stopped) when this was the last namespace on it, so that the caller can wait
    /// for the socket to be gone; `None` while other namespaces keep the engine.
    pub fn detach(self) -> Option<Receiver<()>> {
        let last = {
            let mut table = table();
            match find(&mut table, &self.key, self.id) {
                Some(entry) => {
                    entry.attached.remove(&self.namespace);
                    entry.attached.is_empty()
                }
                // The engine has already left the table (it is closing).
                None => true,
            }
        };
        let _ = self.commands.try_send(EngineCmd::Detach {
            namespace: self.namespace,
        });
        last.then_some(self.ended)
    }

    /// Tells the engine that writing to its transport failed: it closes the session for every
    /// namespace on it, and this one learns the end from [`SocketEvent::Closed`] like the others.
    pub fn fail(&self, why: crate::lang::Text) {
        let _ = self.commands.try_send(EngineCmd::Failed { why });
    }
}

fn find<'t>(table: &'t mut Table, key: &EngineKey, id: u64) -> Option<&'t mut Entry> {
    table
        .engines
        .get_mut(key)
        .and_then(|engines| engines.iter_mut().find(|e| e.id == id))
}

/// Engine side: takes engine `id` out of the table and closes its command channel, so nothing
/// attaches any more. With `only_if_unused`, only when no namespace is attached (an `Attach` may
/// be on its way); returns whether it was taken out.
pub fn retire(
    key: &EngineKey,
    id: u64,
    commands: &Receiver<EngineCmd>,
    only_if_unused: bool,
) -> bool {
    let mut table = table();
    // An engine no longer in the table took itself out already; closing again is harmless.
    if let Some(engines) = table.engines.get_mut(key) {
        if let Some(i) = engines.iter().position(|e| e.id == id) {
            if only_if_unused && !engines[i].attached.is_empty() {
                return false;
            }
            engines.swap_remove(i);
            if engines.is_empty() {
                table.engines.remove(key);
            }
        }
    }
    commands.close();
    true
}
