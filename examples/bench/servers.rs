//! The servers of one benchmark run: the node socket.io servers (4.8 for `real` and `polling`,
//! 4.8 over TLS for `wss`, 2.5 for `sio2`) and the fake blast server, started afresh for every
//! run, and pinned to CPU 0 with `--pin`.

use std::sync::OnceLock;

use testkit::servers::{Flavor, Server, ServerOptions, TestCerts};

use crate::fake::FakeServer;
use crate::measure::pin;
use crate::{Kind, Opts, Received};

/// Where the clients find one server under test.
pub struct Target {
    /// For our client (`ws://…`; our client takes it for polling too).
    pub url: String,
    /// For the node client (`http://…`).
    pub http_url: String,
    /// How the server is asked what it received.
    pub verify: Received,
}

/// The servers of one run, started (and pinned to CPU 0 with `--pin`) for the kinds asked for.
pub struct Servers {
    /// socket.io 4.8: `Real` and `Polling`.
    sio4: Option<Server>,
    sio2: Option<Server>,
    fake: Option<FakeServer>,
    /// socket.io 4.8 over TLS: `Wss`.
    wss: Option<Server>,
}

/// The test CA and the server certificate of every `wss` server of this process.
fn test_certs() -> &'static TestCerts {
    static CERTS: OnceLock<TestCerts> = OnceLock::new();
    CERTS.get_or_init(TestCerts::generate)
}

/// Makes both clients trust the test CA, as a company CA is trusted: through the system store
/// for ours (`SSL_CERT_FILE`, read at our first TLS connection; `SystemCertificates` is on by
/// default) and `NODE_EXTRA_CA_CERTS` for node (read when it starts). Call before either.
pub fn trust_test_ca() {
    let ca = &test_certs().ca_cert;
    // Set while this process has no other thread that reads the environment yet.
    std::env::set_var("SSL_CERT_FILE", ca);
    std::env::set_var("NODE_EXTRA_CA_CERTS", ca);
}

impl Servers {
    pub fn start(o: &Opts) -> Servers {
        let wants = |kinds: &[Kind]| o.servers.iter().any(|k| kinds.contains(k));
        let servers = Servers {
            sio4: wants(&[Kind::Real, Kind::Polling]).then(|| start_server(Flavor::Sio4)),
            sio2: wants(&[Kind::Sio2]).then(|| start_server(Flavor::Sio2)),
            fake: wants(&[Kind::Fake]).then(FakeServer::start),
            wss: wants(&[Kind::Wss]).then(|| {
                Server::start(bench_options(
                    ServerOptions::new(Flavor::Sio4).with_tls(test_certs()),
                ))
            }),
        };
        if o.pin {
            let sio = servers.sio4.iter().chain(&servers.sio2).chain(&servers.wss);
            let sio = sio.map(Server::pid);
            sio.chain(servers.fake.iter().map(FakeServer::pid))
                .for_each(|pid| pin(pid, 0));
        }
        servers
    }

    /// Where the clients find the server of `kind` (started by [`Servers::start`]).
    pub fn target(&self, kind: Kind) -> Target {
        let (url, http_url) = match (kind, &self.sio4, &self.sio2, &self.fake) {
            (Kind::Real | Kind::Polling, Some(s), _, _) | (Kind::Sio2, _, Some(s), _) => {
                (s.url("/"), s.http_url("/"))
            }
            (Kind::Fake, _, _, Some(f)) => (f.url(), f.http_url()),
            (Kind::Wss, ..) => {
                let s = self.wss.as_ref().expect("the wss server was started");
                (s.url("/"), s.http_url("/"))
            }
            _ => unreachable!("every requested server was started"),
        };
        let verify = match kind {
            Kind::Fake => Received::Count,
            _ => Received::Stats,
        };
        Target {
            url,
            http_url,
            verify,
        }
    }
}

/// A node socket.io server of `flavor` for the benchmark.
fn start_server(flavor: Flavor) -> Server {
    Server::start(bench_options(ServerOptions::new(flavor)))
}

/// No line per event, and room for the `sends` scenario's attachments (socket.io's default
/// `maxHttpBufferSize` is 1 MB, less than a 1 MiB attachment and its framing).
fn bench_options(mut opts: ServerOptions) -> ServerOptions {
    opts.extra_args
        .extend(["--quiet", "--max-payload", "67108864"].map(String::from));
    opts
}
