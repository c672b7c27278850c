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
use crate::protocol::socketio::Event;

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
                last.passes = None;
                continue;
            }
            RegistryCmd::Off(name) => {
                subscriptions.off(&name);
                last.passes = None;
                continue;
            }
            RegistryCmd::OffAll => {
                subscriptions.off_all();
                last.passes = None;
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
                    ack_id,
                    event,
                } => events.extend(last.render(&subscriptions, namespace, ack_id, event)),
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
}

impl Subscriptions {
    fn on(&mut self, name: String) {
        if name == "*" {
            self.all = true;
        } else {
            self.names.insert(name);
        }
    }

    fn off(&mut self, name: &str) {
        if name == "*" {
            self.all = false;
        } else {
            self.names.remove(name);
        }
    }

    fn off_all(&mut self) {
        self.names.clear();
        self.all = false;
    }

    /// Whether a message named `name` reaches 1C.
    fn pass(&self, name: &str) -> bool {
        self.all || self.names.contains(name)
    }
}

/// The last message: the one place that keeps an event name after its event, so that a stream
/// of events of one name (the common case) is looked up once and its `Событие` text rendered
/// once and then shared.
#[derive(Default)]
struct LastMessage {
    /// Its name (the buffer is reused: a change of name allocates nothing once it is large
    /// enough).
    name: String,
    /// Whether messages of that name pass the filter; `None` until looked up (again, after a
    /// change of the subscriptions).
    passes: Option<bool>,
    /// The text of the last message of that name without an ack id, with its namespace and
    /// kind.
    text: Option<(Arc<str>, MessageType, Arc<str>)>,
}

impl LastMessage {
    /// The event for 1C of a message, when its name is subscribed: [`events::message`], with the
    /// text of the previous message when it is the same.
    fn render(
        &mut self,
        subscriptions: &Subscriptions,
        namespace: Arc<str>,
        ack_id: Option<u64>,
        event: Event,
    ) -> Option<HostEvent> {
        if self.name != event.name() {
            self.name.clear();
            self.name.push_str(event.name());
            self.passes = None;
            self.text = None;
        }
        let name = &self.name;
        if !*self.passes.get_or_insert_with(|| subscriptions.pass(name)) {
            return None;
        }
        let kind = match event.binary {
            true => MessageType::Binary,
            false => MessageType::String,
        };
        if let (None, Some((n, k, text))) = (ack_id, &self.text) {
            if *k == kind && (Arc::ptr_eq(n, &namespace) || **n == *namespace) {
                return Some(HostEvent {
                    event: text.clone(),
                    data: event.into_args(),
                });
            }
        }
        let rendered = events::message(&namespace, name, kind, ack_id, event.into_args());
        if ack_id.is_none() {
            self.text = Some((namespace, kind, rendered.event.clone()));
        }
        Some(rendered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::socketio::{self, Event};

    fn event(text: &str) -> Event {
        Event::from_packet(socketio::decode(text).unwrap()).unwrap()
    }

    /// Renders the packet `text` as the Registry does, or `None` when it is filtered out.
    fn render(
        last: &mut LastMessage,
        subs: &Subscriptions,
        namespace: &Arc<str>,
        ack_id: Option<u64>,
        text: &str,
    ) -> Option<HostEvent> {
        last.render(subs, namespace.clone(), ack_id, event(text))
    }

    #[test]
    fn messages_pass_what_is_subscribed_also_after_a_change() {
        let mut last = LastMessage::default();
        let mut subs = Subscriptions::default();
        let slash: Arc<str> = Arc::from("/");
        let mut passes = |subs: &Subscriptions, changed: bool, text: &str| {
            if changed {
                // What the run loop does on every change of the subscriptions.
                last.passes = None;
            }
            render(&mut last, subs, &slash, None, text).is_some()
        };
        assert!(!passes(&subs, false, r#"2["tick",1]"#));
        subs.on("tick".into());
        assert!(passes(&subs, true, r#"2["tick",1]"#));
        assert!(passes(&subs, false, r#"2["tick",2]"#), "remembered");
        assert!(!passes(&subs, false, r#"2["tock"]"#));
        subs.off("tick");
        assert!(!passes(&subs, true, r#"2["tock"]"#));
        assert!(
            !passes(&subs, false, r#"2["tick"]"#),
            "Off forgets the pass"
        );
        subs.on("*".into());
        assert!(passes(&subs, true, r#"2["tick"]"#));
        assert!(passes(&subs, false, r#"2["tock"]"#));
        subs.off("*");
        assert!(!passes(&subs, true, r#"2["tock"]"#));
        subs.on("tock".into());
        assert!(passes(&subs, true, r#"2["tock"]"#));
        subs.off_all();
        assert!(
            !passes(&subs, true, r#"2["tock"]"#),
            "OffAll forgets it too"
        );
    }

    #[test]
    fn a_reused_text_is_the_rendered_text() {
        let mut last = LastMessage::default();
        let mut subs = Subscriptions::default();
        subs.on("*".into());
        let slash: Arc<str> = Arc::from("/");
        let chat: Arc<str> = Arc::from("/chat");
        let cases = [
            (&slash, r#"2["tick",0]"#, None),
            (&slash, r#"2["tick",1]"#, None),
            (&slash, r#"2["tick",2]"#, Some(3)),
            (&slash, r#"2["tick",3]"#, None),
            (&slash, r#"51-["tick",4]"#, None),
            (&slash, r#"51-["tock",5]"#, None),
            (&chat, r#"51-["tock",6]"#, None),
            (&chat, r#"51-["tock",7]"#, None),
            (&chat, r#"51-["tock",8]"#, Some(4)),
            (&chat, r#"2["t\u00f6ck",9]"#, None),
            (&chat, r#"2["t\"ck",10]"#, None),
        ];
        for (i, (namespace, text, ack_id)) in cases.into_iter().enumerate() {
            let got = render(&mut last, &subs, namespace, ack_id, text).unwrap();
            let e = event(text);
            let kind = match e.binary {
                true => MessageType::Binary,
                false => MessageType::String,
            };
            let want = events::message(namespace, e.name(), kind, ack_id, e.args().into());
            assert_eq!(got, want, "case {i}");
        }
    }
}
