//! Outbound packets on the wire: an event (with its ack id) or an acknowledgement, as the
//! Socket.IO packet text plus its binary attachments. Used by the Connection's batches and by
//! the fast lane of the 1C thread.

use crate::actors::messages::Arg;
use crate::protocol::binary;
use crate::protocol::socketio;

/// The arguments as JSON texts when none of them is binary.
pub fn json_only(args: &[Arg]) -> Option<Vec<&str>> {
    args.iter()
        .map(|a| match a {
            Arg::Json(json) => Some(json.as_str()),
            Arg::Binary(_) => None,
        })
        .collect()
}

/// The arguments for the binary encoders: the bytes move out of `args` (nothing is copied), the
/// JSON texts are borrowed.
fn binary_args(args: &mut [Arg]) -> Vec<binary::Arg<'_>> {
    args.iter_mut()
        .map(|a| match a {
            Arg::Json(json) => binary::Arg::Json(json.as_str()),
            Arg::Binary(bytes) => binary::Arg::Binary(std::mem::take(bytes)),
        })
        .collect()
}

/// Encodes an outbound event (with ack id `id` for `SendWithAck`): the packet text and its
/// binary attachments, if any.
pub fn encode_event(
    nsp: &str,
    id: Option<u64>,
    name: &str,
    mut args: Vec<Arg>,
) -> (String, Vec<Vec<u8>>) {
    match json_only(&args) {
        Some(json) => (socketio::encode_event(nsp, id, name, &json), Vec::new()),
        None => binary::encode_binary_event(nsp, id, name, binary_args(&mut args)),
    }
}

/// Encodes the answer to the server's event `id`: the packet text and its attachments, if any.
pub fn encode_ack(nsp: &str, id: u64, mut args: Vec<Arg>) -> (String, Vec<Vec<u8>>) {
    match json_only(&args) {
        Some(json) => (socketio::encode_ack(nsp, id, &json), Vec::new()),
        None => binary::encode_binary_ack(nsp, id, binary_args(&mut args)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_their_ack_id_and_attachments() {
        let args = vec![Arg::Json("1".into()), Arg::Json(r#""б""#.into())];
        assert_eq!(
            encode_event("/", Some(7), "save", args),
            (r#"27["save",1,"б"]"#.to_owned(), Vec::new())
        );
        let args = vec![Arg::Binary(vec![1, 2]), Arg::Json("true".into())];
        assert_eq!(
            encode_event("/chat", None, "file", args),
            (
                r#"51-/chat,["file",{"_placeholder":true,"num":0},true]"#.to_owned(),
                vec![vec![1, 2]]
            )
        );
    }

    #[test]
    fn answers_are_acks_of_the_server_id() {
        assert_eq!(
            encode_ack("/", 0, vec![Arg::Json(r#"{"ok":1}"#.into())]),
            (r#"30[{"ok":1}]"#.to_owned(), Vec::new())
        );
        assert_eq!(
            encode_ack("/a", 12, Vec::new()),
            ("3/a,12[]".to_owned(), Vec::new())
        );
    }
}
