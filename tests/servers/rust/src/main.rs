//! socketioxide (the Rust Socket.IO server, Socket.IO rev 5 over Engine.IO 4) as a test server
//! for socketio1c. `testkit::servers` builds it on first use and starts it on a free loopback
//! port, like `tests/servers/server.js`, whose header is the reference for the line protocol;
//! this server speaks the part of it that the tests use:
//!
//! FLAGS: `--host H`, `--port P` (0: a free one), `--path P` (default `/socket.io/`),
//! `--ping-interval MS`, `--ping-timeout MS`, `--max-payload BYTES`, `--transports LIST`
//! (`websocket,polling`, `polling`, …), `--no-stdin`.
//!
//! STDOUT: `LISTENING <port>`, then one compact JSON object per line, keys in server.js's order:
//! `connect` (`engine` is null: socketioxide does not show the Engine.IO id), `event`,
//! `disconnect` (reasons named as socket.io names them: `client namespace disconnect`,
//! `transport close`, …), `answer`, `refused`, `http` (a request answered with 400 or more;
//! cut requests are not seen), `done` and `error`.
//!
//! STDIN: `emit` (to a namespace, or to one `sid`, optionally with `"ack":true`),
//! `disconnect-all` and `stop`; the server exits when stdin closes (unless `--no-stdin`).
//!
//! NAMESPACES: `/`, `/chat` and `/admin` (auth `{"token":"secret"}`, refused with
//! "Not authorized"); others are refused by the library.
//!
//! HANDLERS: on connection `welcome` {nsp, sid} then `greeting` "Привет мир!"; `echo`, `ack`,
//! `emit-back`, `ask`, `broadcast`, `binary`, `transport`, `disconnect-me` (the namespace
//! DISCONNECT: socketioxide keeps the Engine.IO connection), as in server.js.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use hyper::server::conn::http1;
use hyper::service::{service_fn, Service as _};
use hyper_util::rt::TokioIo;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, SerializeTuple, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{json, Number, Value as Json};
use socketioxide::extract::{AckSender, Data, Event, SocketRef, TryData};
use socketioxide::handler::{ConnectHandler, FromMessageParts, Value as SioValue};
use socketioxide::socket::{DisconnectReason, Socket};
use socketioxide::{ProtocolVersion, SocketIo, TransportType};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;

const GREETING: &str = "Привет мир!";
const NAMESPACES: [&str; 3] = ["/", "/chat", "/admin"];

// ---------------------------------------------------------------------------------------------
// values: JSON with binary leaves, rendered as {"_binary_base64": "…"} on stdout

/// One argument of an event: JSON whose leaves may be binary (socket.io attachments).
#[derive(Clone, Debug)]
enum Arg {
    Null,
    Bool(bool),
    Num(Number),
    Str(String),
    Bin(Bytes),
    Arr(Vec<Arg>),
    Obj(Vec<(String, Arg)>),
}

/// The arguments of an event or an ack: serialized and deserialized as a tuple, which is how
/// socketioxide tells a variable number of arguments from one array argument.
#[derive(Clone, Debug, Default)]
struct Args(Vec<Arg>);

impl Arg {
    /// The JSON that server.js prints for this value.
    fn render(&self) -> Json {
        match self {
            Arg::Null => Json::Null,
            Arg::Bool(b) => Json::Bool(*b),
            Arg::Num(n) => Json::Number(n.clone()),
            Arg::Str(s) => Json::String(s.clone()),
            Arg::Bin(b) => {
                json!({ "_binary_base64": base64::engine::general_purpose::STANDARD.encode(b) })
            }
            Arg::Arr(a) => Json::Array(a.iter().map(Arg::render).collect()),
            Arg::Obj(o) => Json::Object(o.iter().map(|(k, v)| (k.clone(), v.render())).collect()),
        }
    }

    /// The inverse of `render`, for command arguments.
    fn unrender(v: &Json) -> Arg {
        match v {
            Json::Null => Arg::Null,
            Json::Bool(b) => Arg::Bool(*b),
            Json::Number(n) => Arg::Num(n.clone()),
            Json::String(s) => Arg::Str(s.clone()),
            Json::Array(a) => Arg::Arr(a.iter().map(Arg::unrender).collect()),
            Json::Object(o) => match (o.len(), o.get("_binary_base64")) {
                (1, Some(Json::String(b64))) => Arg::Bin(Bytes::from(
                    base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .unwrap_or_default(),
                )),
                _ => Arg::Obj(
                    o.iter()
                        .map(|(k, v)| (k.clone(), Arg::unrender(v)))
                        .collect(),
                ),
            },
        }
    }
}

impl Args {
    fn render(&self) -> Json {
        Json::Array(self.0.iter().map(Arg::render).collect())
    }

    fn unrender(v: Option<&Json>) -> Args {
        match v {
            Some(Json::Array(a)) => Args(a.iter().map(Arg::unrender).collect()),
            _ => Args::default(),
        }
    }
}

impl Serialize for Arg {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Arg::Null => s.serialize_unit(),
            Arg::Bool(b) => s.serialize_bool(*b),
            Arg::Num(n) => n.serialize(s),
            Arg::Str(v) => s.serialize_str(v),
            Arg::Bin(b) => s.serialize_bytes(b),
            Arg::Arr(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Arg::Obj(o) => {
                let mut map = s.serialize_map(Some(o.len()))?;
                for (k, v) in o {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl Serialize for Args {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(self.0.len())?;
        for v in &self.0 {
            t.serialize_element(v)?;
        }
        t.end()
    }
}

struct ArgVisitor;

impl<'de> Visitor<'de> for ArgVisitor {
    type Value = Arg;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value or binary data")
    }
    fn visit_unit<E>(self) -> Result<Arg, E> {
        Ok(Arg::Null)
    }
    fn visit_none<E>(self) -> Result<Arg, E> {
        Ok(Arg::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Arg, D::Error> {
        Arg::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Arg, E> {
        Ok(Arg::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Arg, E> {
        Ok(Arg::Num(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Arg, E> {
        Ok(Arg::Num(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Arg, E> {
        Ok(Number::from_f64(v).map_or(Arg::Null, Arg::Num))
    }
    fn visit_str<E>(self, v: &str) -> Result<Arg, E> {
        Ok(Arg::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Arg, E> {
        Ok(Arg::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Arg, E> {
        Ok(Arg::Bin(Bytes::copy_from_slice(v)))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Arg, E> {
        Ok(Arg::Bin(Bytes::from(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Arg, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Arg::Arr(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Arg, A::Error> {
        let mut out = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Arg>()? {
            out.push((k, v));
        }
        Ok(Arg::Obj(out))
    }
}

impl<'de> Deserialize<'de> for Arg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Arg, D::Error> {
        d.deserialize_any(ArgVisitor)
    }
}

impl<'de> Deserialize<'de> for Args {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Args, D::Error> {
        struct ArgsVisitor;
        impl<'de> Visitor<'de> for ArgsVisitor {
            type Value = Args;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the arguments of an event")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Args, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element()? {
                    out.push(v);
                }
                Ok(Args(out))
            }
        }
        // A tuple: socketioxide then hands over every argument, not only the first.
        d.deserialize_tuple(usize::MAX, ArgsVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// output and state

fn out(v: Json) {
    println!("{v}");
}

/// Live sockets per namespace, for commands addressed to one `sid`.
fn live() -> &'static Mutex<HashMap<(String, String), SocketRef>> {
    static LIVE: OnceLock<Mutex<HashMap<(String, String), SocketRef>>> = OnceLock::new();
    LIVE.get_or_init(Mutex::default)
}

/// Whether the client asked for an ack of this event (an extractor: socketioxide's
/// `AckSender` does not tell).
struct AckAsked(bool);

impl FromMessageParts<socketioxide::adapter::LocalAdapter> for AckAsked {
    type Error = Infallible;
    fn from_message_parts(
        _: &Arc<Socket>,
        _: &mut SioValue,
        ack_id: &Option<i64>,
    ) -> Result<Self, Infallible> {
        Ok(AckAsked(ack_id.is_some()))
    }
}

fn transport_name(t: TransportType) -> &'static str {
    match t {
        TransportType::Polling => "polling",
        TransportType::Websocket => "websocket",
    }
}

/// The reasons as socket.io names them (server.js prints those).
fn reason_name(r: DisconnectReason) -> &'static str {
    match r {
        DisconnectReason::TransportClose => "transport close",
        DisconnectReason::MultipleHttpPollingError => "multiple http polling error",
        DisconnectReason::PacketParsingError => "parse error",
        DisconnectReason::TransportError => "transport error",
        DisconnectReason::HeartbeatTimeout => "ping timeout",
        DisconnectReason::ClientNSDisconnect => "client namespace disconnect",
        DisconnectReason::ServerNSDisconnect => "server namespace disconnect",
        DisconnectReason::ClosingServer => "server shutting down",
    }
}

/// A query string as an object of decoded values.
fn query_object(query: Option<&str>) -> Json {
    let mut o = serde_json::Map::new();
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        o.insert(percent_decode(k), Json::String(percent_decode(v)));
    }
    Json::Object(o)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------------
// namespaces and handlers

async fn on_connect(s: SocketRef, TryData(auth): TryData<Json>) {
    let nsp = s.ns().to_owned();
    let sid = s.id.to_string();
    let parts = s.req_parts();
    let headers: serde_json::Map<String, Json> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                Json::String(String::from_utf8_lossy(v.as_bytes()).into_owned()),
            )
        })
        .collect();
    out(json!({
        "type": "connect",
        "nsp": nsp,
        "sid": sid,
        "auth": auth.unwrap_or_else(|_| json!({})),
        "query": query_object(parts.uri.query()),
        "headers": headers,
        "eio": match s.protocol() { ProtocolVersion::V4 => 3, _ => 4 },
        "engine": null,
        "transport": transport_name(s.transport_type()),
        "recovered": false,
    }));
    live()
        .lock()
        .unwrap()
        .insert((nsp.clone(), sid.clone()), s.clone());

    s.on_disconnect(async |s: SocketRef, reason: DisconnectReason| {
        let (nsp, sid) = (s.ns().to_owned(), s.id.to_string());
        live().lock().unwrap().remove(&(nsp.clone(), sid.clone()));
        out(json!({"type": "disconnect", "nsp": nsp, "sid": sid, "reason": reason_name(reason)}));
    });
    s.on_fallback(on_event);

    let _ = s.emit("welcome", &json!({"nsp": nsp, "sid": sid}));
    let _ = s.emit("greeting", GREETING);
}

/// Every event: printed, then handled as server.js handles it.
async fn on_event(
    s: SocketRef,
    io: SocketIo,
    Event(event): Event,
    AckAsked(asked): AckAsked,
    Data(args): Data<Args>,
    ack: AckSender,
) {
    let nsp = s.ns().to_owned();
    let sid = s.id.to_string();
    out(json!({
        "type": "event", "nsp": nsp, "sid": sid, "event": event, "args": args.render(), "ack": asked,
    }));
    match event.as_str() {
        "echo" => {
            let _ = s.emit("echo", &args);
            let _ = ack.send(&args);
        }
        "ack" => {
            let _ = ack.send(&args);
        }
        "emit-back" => {
            let spec = args.0.first().map(Arg::render).unwrap_or(Json::Null);
            let name = spec["event"].as_str().unwrap_or_default().to_owned();
            let _ = s.emit(name, &Args::unrender(spec.get("args")));
            let _ = ack.send(&Args::default());
        }
        "ask" => {
            let Ok(answer) = s.emit_with_ack::<_, Args>("question", &args) else {
                return;
            };
            if let Ok(answer) = answer.await {
                out(json!({
                    "type": "answer", "nsp": nsp, "sid": sid, "event": "question",
                    "args": answer.render(),
                }));
                let _ = ack.send(&answer);
            }
        }
        "broadcast" => {
            if let Some(op) = io.of(&nsp) {
                let _ = op.emit("broadcast", &args).await;
            }
            let _ = ack.send(&Args::default());
        }
        "binary" => {
            let payload = Args(vec![
                Arg::Bin(Bytes::from_static(&[1, 2, 3])),
                Arg::Obj(vec![(
                    "file".into(),
                    Arg::Bin(Bytes::from_static(b"hello")),
                )]),
            ]);
            let _ = s.emit("binary", &payload);
            let _ = ack.send(&payload);
        }
        "transport" => {
            let _ = s.emit("transport", transport_name(s.transport_type()));
        }
        "disconnect-me" => {
            let _ = s.disconnect();
        }
        _ => {}
    }
}

#[derive(Debug)]
struct NotAuthorized;

impl fmt::Display for NotAuthorized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Not authorized")
    }
}

async fn admin_auth(s: SocketRef, TryData(auth): TryData<Json>) -> Result<(), NotAuthorized> {
    let auth = auth.unwrap_or(Json::Null);
    if auth["token"] == "secret" {
        return Ok(());
    }
    out(json!({
        "type": "refused", "nsp": "/admin", "message": "Not authorized", "auth": auth,
        "query": query_object(s.req_parts().uri.query()),
    }));
    Err(NotAuthorized)
}

// ---------------------------------------------------------------------------------------------
// stdin commands

async fn run_command(io: &SocketIo, c: &Json) -> Result<(), String> {
    match c["cmd"].as_str().unwrap_or_default() {
        "emit" => {
            let nsp = c["nsp"].as_str().unwrap_or("/").to_owned();
            let event = c["event"].as_str().unwrap_or_default().to_owned();
            let args = Args::unrender(c.get("args"));
            if let Some(sid) = c["sid"].as_str() {
                let socket = live()
                    .lock()
                    .unwrap()
                    .get(&(nsp.clone(), sid.to_owned()))
                    .cloned()
                    .ok_or_else(|| format!("no socket {sid} on {nsp}"))?;
                if c["ack"] == true {
                    let answer = socket
                        .emit_with_ack::<_, Args>(event.clone(), &args)
                        .map_err(|e| e.to_string())?;
                    let sid = sid.to_owned();
                    tokio::spawn(async move {
                        if let Ok(answer) = answer.await {
                            out(json!({
                                "type": "answer", "nsp": nsp, "sid": sid, "event": event,
                                "args": answer.render(),
                            }));
                        }
                    });
                } else {
                    socket.emit(event, &args).map_err(|e| e.to_string())?;
                }
            } else {
                let op = io.of(&nsp).ok_or_else(|| format!("no namespace {nsp}"))?;
                op.emit(event, &args).await.map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        "disconnect-all" => {
            let sockets: Vec<SocketRef> = live().lock().unwrap().values().cloned().collect();
            for s in sockets {
                let _ = s.disconnect();
            }
            Ok(())
        }
        "stop" => std::process::exit(0),
        other => Err(format!("unknown command {other:?}")),
    }
}

async fn read_commands(io: SocketIo) {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim().is_empty() {
            continue;
        }
        let c: Json = match serde_json::from_str(&line) {
            Ok(c) => c,
            Err(e) => {
                out(json!({"type": "error", "message": e.to_string(), "id": null}));
                continue;
            }
        };
        let id = c.get("id").cloned().unwrap_or(Json::Null);
        match run_command(&io, &c).await {
            Ok(()) => out(json!({"type": "done", "cmd": c["cmd"], "id": id})),
            Err(e) => out(json!({"type": "error", "message": e, "id": id})),
        }
    }
    std::process::exit(0);
}

// ---------------------------------------------------------------------------------------------
// command line and main

struct Opts {
    host: String,
    port: u16,
    path: String,
    ping_interval: Option<u64>,
    ping_timeout: Option<u64>,
    max_payload: Option<u64>,
    transports: Option<Vec<String>>,
    stdin: bool,
}

fn die(msg: &str) -> ! {
    eprintln!("socketioxide-server: {msg}");
    std::process::exit(2);
}

fn parse_args() -> Opts {
    let mut o = Opts {
        host: "127.0.0.1".into(),
        port: 0,
        path: "/socket.io/".into(),
        ping_interval: None,
        ping_timeout: None,
        max_payload: None,
        transports: None,
        stdin: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| die(&format!("{a} needs a value")))
        };
        let num = |v: String| -> u64 {
            u64::from_str(&v).unwrap_or_else(|_| die(&format!("{a} needs a non-negative number")))
        };
        match a.as_str() {
            "--host" => o.host = value(),
            "--port" => {
                o.port = u16::try_from(num(value())).unwrap_or_else(|_| die("--port: too big"))
            }
            "--path" => o.path = value(),
            "--ping-interval" => o.ping_interval = Some(num(value())),
            "--ping-timeout" => o.ping_timeout = Some(num(value())),
            "--max-payload" => o.max_payload = Some(num(value())),
            "--transports" => {
                o.transports = Some(
                    value()
                        .split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect(),
                )
            }
            "--no-stdin" => o.stdin = false,
            _ => die(&format!("unknown flag {a}")),
        }
    }
    o
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let opts = parse_args();
    let mut builder = SocketIo::builder().req_path(opts.path.clone());
    if let Some(ms) = opts.ping_interval {
        builder = builder.ping_interval(Duration::from_millis(ms));
    }
    if let Some(ms) = opts.ping_timeout {
        builder = builder.ping_timeout(Duration::from_millis(ms));
    }
    if let Some(bytes) = opts.max_payload {
        builder = builder.max_payload(bytes);
    }
    match opts.transports.as_deref() {
        None => {}
        Some([one]) if one == "websocket" => {
            builder = builder.transports([TransportType::Websocket])
        }
        Some([one]) if one == "polling" => builder = builder.transports([TransportType::Polling]),
        Some(list) if list.iter().all(|t| t == "websocket" || t == "polling") => {}
        Some(list) => die(&format!("unknown transports {list:?}")),
    }
    let (svc, io) = builder.build_svc();
    for nsp in NAMESPACES {
        if nsp == "/admin" {
            io.ns(nsp, on_connect.with(admin_auth));
        } else {
            io.ns(nsp, on_connect);
        }
    }

    let addr: SocketAddr = format!("{}:{}", opts.host, opts.port)
        .parse()
        .unwrap_or_else(|e| die(&format!("bad address: {e}")));
    let listener = TcpListener::bind(addr)
        .await
        .unwrap_or_else(|e| die(&format!("listen failed: {e}")));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    println!("LISTENING {port}");

    if opts.stdin {
        tokio::spawn(read_commands(io.clone()));
    }

    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let svc = svc.clone();
        // Every answer of 400 or more is printed as an "http" line, as server.js does.
        let logged = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            let (method, url) = (req.method().to_string(), req.uri().to_string());
            let answer = svc.call(req);
            async move {
                let res = answer.await?;
                if res.status().as_u16() >= 400 {
                    out(json!({
                        "type": "http", "method": method, "url": url, "status": res.status().as_u16(),
                    }));
                }
                Ok::<_, Infallible>(res)
            }
        });
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), logged)
                .with_upgrades()
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b+c%zz%4"), "a b c%zz%4");
    }

    #[test]
    fn args_render_and_unrender() {
        let v = json!([1, "x", {"_binary_base64": "AQID"}, {"a": [true, null]}]);
        assert_eq!(Args::unrender(Some(&v)).render(), v);
    }
}
