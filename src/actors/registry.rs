//! The Subscription registry actor: which event names reach 1C.
//!
//! Everything the Connection wants 1C to see passes through here, in order, so a state change
//! can never overtake a message (Open before the first message, the last message before Close).
//! State changes always pass; messages pass when their name is subscribed (`*` = all). Messages
//! are rendered into event text here, after the filter, so unsubscribed ones cost nothing more.

use std::collections::HashSet;
use std::sync::Arc;

use async_channel::{Receiver, Sender};

use super::messages::{Batch, Inbound, RegistryCmd};
use crate::events::{self, HostEvent, MessageType};

/// Runs until every sender of `commands` is gone (the facade's and the Connection's), then
/// returns, dropping the dispatcher's channel.
pub async fn run(commands: Receiver<RegistryCmd>, dispatcher: Sender<Batch<HostEvent>>) {
    let mut subscriptions = Subscriptions::default();
    let mut last = LastMessage::default();
    let mut events = Vec::new();
    while let Ok(cmd) = commands.recv().await {
        let items = match cmd {
            RegistryCmd::On(name) => {
                subscriptions.on(name);
                continue;
            }
            RegistryCmd::Off(name) => {
                subscriptions.off(&name);
                continue;
            }
            RegistryCmd::OffAll => {
                subscriptions.off_all();
                continue;
            }
            RegistryCmd::Deliver(items) => items,
        };
        // The batch goes on as one message too.
        for item in items {
            match item {
                Inbound::Always(event) => events.push(event),
                Inbound::Message {
                    namespace,
                    name,
                    kind,
                    ack_id,
                    args_json,
                } => {
                    if subscriptions.pass(&name) {
                        events.push(last.render(namespace, name, kind, ack_id, args_json));
                    }
                }
            }
        }
        let Some(batch) = Batch::take(&mut events) else {
            continue;
        };
        if dispatcher.send(batch).await.is_err() {
            // The dispatcher is gone only when the object is being destroyed.
            break;
        }
    }
}

/// The event names subscribed (`On`), or all of them (`On("*")`).
#[derive(Default)]
struct Subscriptions {
    names: HashSet<String>,
    all: bool,
    /// The name of the last message that passed: the Connection shares one `Arc` for a stream of
    /// same-name events, so a stream is looked up once. Forgotten on every change.
    passed: Option<Arc<str>>,
}

impl Subscriptions {
    fn on(&mut self, name: String) {
        self.passed = None;
        if name == "*" {
            self.all = true;
        } else {
            self.names.insert(name);
        }
    }

    fn off(&mut self, name: &str) {
        self.passed = None;
        if name == "*" {
            self.all = false;
        } else {
            self.names.remove(name);
        }
    }

    fn off_all(&mut self) {
        self.passed = None;
        self.names.clear();
        self.all = false;
    }

    /// Whether a message named `name` reaches 1C.
    fn pass(&mut self, name: &Arc<str>) -> bool {
        if self.passed.as_ref().is_some_and(|p| Arc::ptr_eq(p, name)) {
            return true;
        }
        let pass = self.all || self.names.contains(&**name);
        if pass {
            self.passed = Some(name.clone());
        }
        pass
    }
}

/// The `Событие` text of the last message without an ack id: a stream of events of one name
/// (the common case) renders it once and then shares it.
#[derive(Default)]
struct LastMessage {
    key: Option<(Arc<str>, Arc<str>, MessageType)>,
    event: Option<Arc<str>>,
}

impl LastMessage {
    /// [`events::message`], reusing the text of the previous message when it is the same.
    fn render(
        &mut self,
        namespace: Arc<str>,
        name: Arc<str>,
        kind: MessageType,
        ack_id: Option<u64>,
        args_json: String,
    ) -> HostEvent {
        if let (None, Some((n, e, k)), Some(event)) = (ack_id, &self.key, &self.event) {
            let same = |a: &Arc<str>, b: &Arc<str>| Arc::ptr_eq(a, b) || **a == **b;
            if *k == kind && same(e, &name) && same(n, &namespace) {
                return HostEvent {
                    event: event.clone(),
                    data: args_json,
                };
            }
        }
        let rendered = events::message(&namespace, &name, kind, ack_id, args_json);
        if ack_id.is_none() {
            self.event = Some(rendered.event.clone());
            self.key = Some((namespace, name, kind));
        }
        rendered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_pass_what_is_subscribed_also_after_a_change() {
        let mut subs = Subscriptions::default();
        let tick: Arc<str> = Arc::from("tick");
        let tock: Arc<str> = Arc::from("tock");
        assert!(!subs.pass(&tick));
        subs.on("tick".into());
        assert!(
            subs.pass(&tick) && subs.pass(&tick),
            "looked up, then remembered"
        );
        assert!(!subs.pass(&tock));
        subs.off("tick");
        assert!(!subs.pass(&tick), "Off forgets the remembered pass");
        subs.on("*".into());
        assert!(subs.pass(&tick) && subs.pass(&tock));
        subs.off("*");
        assert!(!subs.pass(&tock));
        subs.on("tock".into());
        assert!(subs.pass(&tock));
        subs.off_all();
        assert!(!subs.pass(&tock), "OffAll forgets it too");
    }

    #[test]
    fn a_reused_text_is_the_rendered_text() {
        let mut last = LastMessage::default();
        let slash: Arc<str> = Arc::from("/");
        let chat: Arc<str> = Arc::from("/chat");
        let cases = [
            (&slash, "tick", MessageType::String, None),
            (&slash, "tick", MessageType::String, None),
            (&slash, "tick", MessageType::String, Some(3)),
            (&slash, "tick", MessageType::String, None),
            (&slash, "tick", MessageType::Binary, None),
            (&slash, "tock", MessageType::Binary, None),
            (&chat, "tock", MessageType::Binary, None),
            (&chat, "tock", MessageType::Binary, None),
            (&chat, "tock", MessageType::Binary, Some(4)),
        ];
        for (i, (namespace, name, kind, ack_id)) in cases.into_iter().enumerate() {
            let data = format!("[{i}]");
            let got = last.render(namespace.clone(), name.into(), kind, ack_id, data.clone());
            let want = events::message(namespace, name, kind, ack_id, data);
            assert_eq!(got, want, "case {i}");
        }
    }
}
