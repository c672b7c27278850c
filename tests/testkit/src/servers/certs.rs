//! A throw-away certificate authority and server certificate for TLS tests, made with the
//! `openssl` command-line tool (Debian package `openssl`) in a fresh temporary directory.
//!
//! ```no_run
//! use testkit::servers::{Flavor, Server, ServerOptions, TestCerts};
//!
//! let certs = TestCerts::generate();
//! let server = Server::start(ServerOptions::new(Flavor::Sio4).with_tls(&certs));
//! let url = server.url("/"); // wss://127.0.0.1:<port>/
//! let ca_pem = certs.ca_pem(); // what a client must trust (CACertificate)
//! # let _ = (url, ca_pem);
//! ```

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::process::ScratchDir;

/// A CA and a server certificate it signed, valid for `127.0.0.1`, `::1` and `localhost`
/// (ECDSA P-256, v3 extensions as rustls/webpki require). The directory is removed on drop, so
/// keep the value alive while a server or client uses the files.
#[derive(Debug)]
pub struct TestCerts {
    /// The temporary directory that holds the files.
    pub dir: PathBuf,
    /// The CA certificate (PEM): what a client must trust.
    pub ca_cert: PathBuf,
    /// The CA private key (PEM).
    pub ca_key: PathBuf,
    /// The server certificate (PEM), signed by the CA.
    pub server_cert: PathBuf,
    /// The server private key (PEM, PKCS#8).
    pub server_key: PathBuf,
    /// Removes `dir` on drop.
    _scratch: ScratchDir,
}

impl TestCerts {
    /// Makes a new CA and server certificate. Two calls give two unrelated CAs, which is what
    /// a "certificate from an unknown CA is rejected" test needs.
    ///
    /// # Panics
    ///
    /// If `openssl` is missing or fails.
    pub fn generate() -> TestCerts {
        let scratch = ScratchDir::new("certs");
        let dir = scratch.path().to_path_buf();
        let certs = TestCerts {
            ca_cert: dir.join("ca.pem"),
            ca_key: dir.join("ca.key"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            dir,
            _scratch: scratch,
        };
        let ext = certs.dir.join("server.ext");
        fs::write(
            &ext,
            "basicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature,keyEncipherment\n\
             extendedKeyUsage=serverAuth\n\
             subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n",
        )
        .expect("write server.ext");
        let csr = certs.dir.join("server.csr");
        let p = |p: &Path| p.display().to_string();
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &p(&certs.ca_key),
            "-out",
            &p(&certs.ca_cert),
            "-days",
            "3650",
            "-subj",
            "/CN=socketio1c test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &p(&certs.server_key),
            "-out",
            &p(&csr),
            "-subj",
            "/CN=localhost",
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            &p(&csr),
            "-CA",
            &p(&certs.ca_cert),
            "-CAkey",
            &p(&certs.ca_key),
            "-set_serial",
            "2",
            "-days",
            "825",
            "-out",
            &p(&certs.server_cert),
            "-extfile",
            &p(&ext),
        ]);
        certs
    }

    /// The CA certificate as PEM text.
    pub fn ca_pem(&self) -> String {
        fs::read_to_string(&self.ca_cert).expect("read the CA certificate")
    }

    /// `(server certificate, server key)`, as [`super::ServerOptions::tls`] takes them.
    pub fn server_pair(&self) -> (PathBuf, PathBuf) {
        (self.server_cert.clone(), self.server_key.clone())
    }
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "testkit: cannot run openssl ({e}); install it (Debian: apt-get install openssl)"
            )
        });
    if !out.status.success() {
        panic!(
            "testkit: openssl {} failed ({}):\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
