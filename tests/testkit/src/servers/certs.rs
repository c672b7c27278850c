//! A throw-away certificate authority, server certificate and client certificates for TLS tests,
//! made with the `openssl` command-line tool (Debian package `openssl`) in a fresh temporary
//! directory.
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
        let p = |p: &Path| p.display().to_string();
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            EC_P256.0,
            "-pkeyopt",
            EC_P256.1,
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
        certs.issue(
            EC_P256,
            "/CN=localhost",
            (&certs.server_key, &certs.server_cert),
            "2",
            "basicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature,keyEncipherment\n\
             extendedKeyUsage=serverAuth\n\
             subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n",
        );
        certs
    }

    /// Makes a key (`algorithm`: `-newkey` and its `-pkeyopt`) and a certificate for
    /// `subject` signed by this CA with `extensions` (an OpenSSL extension file's lines), and
    /// writes them to `(key, cert)`.
    fn issue(
        &self,
        (algorithm, option): (&str, &str),
        subject: &str,
        (key, cert): (&Path, &Path),
        serial: &str,
        extensions: &str,
    ) {
        let p = |p: &Path| p.display().to_string();
        let stem = cert.with_extension("");
        let (ext, csr) = (stem.with_extension("ext"), stem.with_extension("csr"));
        fs::write(&ext, extensions).expect("write the certificate's extensions");
        openssl(&[
            "req",
            "-new",
            "-newkey",
            algorithm,
            "-pkeyopt",
            option,
            "-nodes",
            "-keyout",
            &p(key),
            "-out",
            &p(&csr),
            "-subj",
            subject,
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            &p(&csr),
            "-CA",
            &p(&self.ca_cert),
            "-CAkey",
            &p(&self.ca_key),
            "-set_serial",
            serial,
            "-days",
            "825",
            "-out",
            &p(cert),
            "-extfile",
            &p(&ext),
        ]);
    }

    /// The CA certificate as PEM text.
    pub fn ca_pem(&self) -> String {
        fs::read_to_string(&self.ca_cert).expect("read the CA certificate")
    }

    /// A client certificate for `name` (its CN) signed by this CA, for client authentication,
    /// in every form `ClientCertificate` takes. The files live in this value's directory.
    pub fn client(&self, name: &str, key: ClientKey) -> ClientCert {
        let file = |suffix: &str| self.dir.join(format!("client-{name}{suffix}"));
        let cert = ClientCert {
            cert: file(".crt"),
            key: file(".key"),
            pem: file(".pem"),
            pfx: file(".pfx"),
            pfx_3des: file("-3des.pfx"),
            pfx_rc2: file("-rc2.pfx"),
            password: "пароль-1C".to_owned(),
        };
        let algorithm = match key {
            ClientKey::Rsa => RSA_2048,
            ClientKey::EcdsaP256 => EC_P256,
        };
        self.issue(
            algorithm,
            &format!("/CN={name}"),
            (&cert.key, &cert.cert),
            "3",
            "basicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature\n\
             extendedKeyUsage=clientAuth\n",
        );
        let p = |p: &Path| p.display().to_string();
        let chain = [
            fs::read_to_string(&cert.cert).expect("read the client certificate"),
            fs::read_to_string(&cert.key).expect("read the client key"),
        ];
        fs::write(&cert.pem, chain.concat()).expect("write the client PEM");
        let pass = format!("pass:{}", cert.password);
        let (cert_path, key_path) = (p(&cert.cert), p(&cert.key));
        let export = |out: &Path, extra: &[&str]| {
            let mut args = vec!["pkcs12", "-export", "-in", &cert_path, "-inkey", &key_path];
            let out = p(out);
            args.extend(["-out", &out, "-passout", &pass, "-name", name]);
            args.extend(extra);
            openssl(&args);
        };
        // OpenSSL 3's default (PBES2, AES-256, MAC SHA-256: also current Windows' "AES256-SHA256").
        export(&cert.pfx, &[]);
        // Windows' "TripleDES-SHA1" and older exports.
        export(
            &cert.pfx_3des,
            &[
                "-keypbe",
                "PBE-SHA1-3DES",
                "-certpbe",
                "PBE-SHA1-3DES",
                "-macalg",
                "sha1",
            ],
        );
        // OpenSSL 1.x's default: the certificates under 40-bit RC2.
        export(&cert.pfx_rc2, &["-legacy"]);
        cert
    }

    /// `(server certificate, server key)`, as [`super::ServerOptions::tls`] takes them.
    pub fn server_pair(&self) -> (PathBuf, PathBuf) {
        (self.server_cert.clone(), self.server_key.clone())
    }
}

/// `-newkey` and `-pkeyopt` for an ECDSA P-256 key.
const EC_P256: (&str, &str) = ("ec", "ec_paramgen_curve:prime256v1");
/// `-newkey` and `-pkeyopt` for an RSA 2048 key.
const RSA_2048: (&str, &str) = ("rsa", "rsa_keygen_bits:2048");

/// The key type of a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKey {
    /// RSA 2048.
    Rsa,
    /// ECDSA on P-256.
    EcdsaP256,
}

/// A client certificate made by [`TestCerts::client`], in the forms `ClientCertificate` takes.
#[derive(Debug, Clone)]
pub struct ClientCert {
    /// The certificate alone (PEM).
    pub cert: PathBuf,
    /// The private key alone (PEM, PKCS#8).
    pub key: PathBuf,
    /// The certificate and the key in one PEM file.
    pub pem: PathBuf,
    /// PKCS#12 as OpenSSL 3 writes it by default (AES-256, PBKDF2, MAC SHA-256).
    pub pfx: PathBuf,
    /// PKCS#12 with 3DES and a SHA-1 MAC.
    pub pfx_3des: PathBuf,
    /// PKCS#12 as OpenSSL 1.x wrote it (certificates under RC2-40, key under 3DES).
    pub pfx_rc2: PathBuf,
    /// The password of the PKCS#12 files (not ASCII, as a 1C user's may be).
    pub password: String,
}

impl ClientCert {
    /// The certificate and key PEM text (what `ClientCertificate` takes as text).
    pub fn pem_text(&self) -> String {
        fs::read_to_string(&self.pem).expect("read the client PEM")
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
