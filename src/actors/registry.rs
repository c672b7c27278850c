//! The Subscription registry actor: which event names reach 1C.
//!
//! Everything the Connection wants 1C to see passes through here, in order, so a state change
//! can never overtake a message (Open before the first message, the last message before Close).
//! State changes always pass; messages pass when their name is subscribed (`*` = all). Messages
//! are rendered into event text here, after the filter, so unsubscribed ones cost nothing more.

use std::collections::HashSet;

use async_channel::{Receiver, Sender};

use super::messages::{Inbound, RegistryCmd};
use crate::events::{self, HostEvent};

/// Runs until every sender of `commands` is gone (the facade's and the Connection's), then
/// returns, dropping the dispatcher's channel.
pub async fn run(commands: Receiver<RegistryCmd>, dispatcher: Sender<HostEvent>) {
    let mut names: HashSet<String> = HashSet::new();
    let mut all = false;
    while let Ok(cmd) = commands.recv().await {
        let event = match cmd {
            RegistryCmd::On(name) if name == "*" => {
                all = true;
                continue;
            }
            RegistryCmd::On(name) => {
                names.insert(name);
                continue;
            }
            RegistryCmd::Off(name) if name == "*" => {
                all = false;
                continue;
            }
            RegistryCmd::Off(name) => {
                names.remove(&name);
                continue;
            }
            RegistryCmd::OffAll => {
                names.clear();
                all = false;
                continue;
            }
            RegistryCmd::Deliver(Inbound::Always(event)) => event,
            RegistryCmd::Deliver(Inbound::Message {
                namespace,
                name,
                kind,
                ack_id,
                args_json,
            }) => {
                if !all && !names.contains(&name) {
                    continue;
                }
                events::message(&namespace, &name, kind, ack_id, args_json)
            }
        };
        if dispatcher.send(event).await.is_err() {
            // The dispatcher is gone only when the object is being destroyed.
            break;
        }
    }
}
