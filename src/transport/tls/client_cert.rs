//! `ClientCertificate` read into what rustls offers a server that asks for a certificate: a
//! PKCS#12 file (`.pfx`, `.p12`) opened with `ClientCertificatePassword`, or PEM (a file or the
//! text itself) holding the certificate chain and its private key (PKCS#8, PKCS#1 RSA or SEC1
//! EC). Read at each connect, so a renewed file is picked up by the next reconnect.

use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::pkcs12::{self, Pkcs12Error};
use crate::transport::error::{CertSource, ClientCertProblem, TlsError};

/// A certificate chain (the client's own first) and its private key.
#[derive(Debug)]
pub struct ClientIdentity {
    /// The chain, end entity first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key.
    pub key: PrivateKeyDer<'static>,
    /// Where it came from (for errors found later, when rustls takes the key).
    pub source: CertSource,
}

impl PartialEq for ClientIdentity {
    fn eq(&self, other: &ClientIdentity) -> bool {
        self.chain == other.chain && self.key.secret_der() == other.key.secret_der()
    }
}

impl ClientIdentity {
    /// The error for `problem` with this identity's source.
    pub fn error(&self, problem: ClientCertProblem) -> TlsError {
        TlsError::ClientCertificate {
            source: self.source.clone(),
            problem,
        }
    }
}

/// Reads `ClientCertificate` (with its password); `None` when it is empty.
pub fn load(property: &str, password: &str) -> Result<Option<ClientIdentity>, TlsError> {
    let property = property.trim();
    if property.is_empty() {
        return Ok(None);
    }
    let fail = |source: CertSource, problem| TlsError::ClientCertificate { source, problem };
    if property.contains("-----BEGIN") {
        let source = CertSource::PemText;
        return from_pem(property.as_bytes())
            .map(|(chain, key)| {
                Some(ClientIdentity {
                    chain,
                    key,
                    source: source.clone(),
                })
            })
            .map_err(|problem| fail(source, problem));
    }
    let source = CertSource::File(property.to_owned());
    let bytes = std::fs::read(property).map_err(|err| {
        fail(
            source.clone(),
            ClientCertProblem::Unreadable(err.to_string()),
        )
    })?;
    let read = if bytes.windows(10).any(|w| w == b"-----BEGIN") {
        from_pem(&bytes)
    } else if bytes.first() == Some(&0x30) {
        from_pkcs12(&bytes, password)
    } else {
        Err(ClientCertProblem::NotCertificate)
    };
    match read {
        Ok((chain, key)) => Ok(Some(ClientIdentity { chain, key, source })),
        Err(problem) => Err(fail(source, problem)),
    }
}

type Pair = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// Every `CERTIFICATE` block, in order, and the first private key.
fn from_pem(text: &[u8]) -> Result<Pair, ClientCertProblem> {
    let chain = CertificateDer::pem_slice_iter(text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| ClientCertProblem::InvalidPem(err.to_string()))?;
    let key = match PrivateKeyDer::from_pem_slice(text) {
        Ok(key) => key,
        Err(pem::Error::NoItemsFound) => {
            // "ENCRYPTED PRIVATE KEY" (PKCS#8) or "Proc-Type: 4,ENCRYPTED" (OpenSSL's old form).
            let encrypted = text.windows(9).any(|w| w == b"ENCRYPTED");
            return Err(if encrypted {
                ClientCertProblem::EncryptedKey
            } else {
                ClientCertProblem::NoKey
            });
        }
        Err(err) => return Err(ClientCertProblem::InvalidPem(err.to_string())),
    };
    if chain.is_empty() {
        return Err(ClientCertProblem::NoCertificate);
    }
    Ok((chain, key))
}

/// The first private key of a PKCS#12 file, the certificate that carries the same
/// `localKeyId` (else the first one) and the file's other certificates after it.
fn from_pkcs12(file: &[u8], password: &str) -> Result<Pair, ClientCertProblem> {
    let contents = pkcs12::read(file, password).map_err(|err| match err {
        Pkcs12Error::WrongPassword => ClientCertProblem::WrongPassword,
        Pkcs12Error::Malformed => ClientCertProblem::NotCertificate,
        Pkcs12Error::Unsupported(what) => ClientCertProblem::Pkcs12(what),
    })?;
    let key = contents
        .keys
        .into_iter()
        .next()
        .ok_or(ClientCertProblem::NoKey)?;
    let mut certs = contents.certs;
    if certs.is_empty() {
        return Err(ClientCertProblem::NoCertificate);
    }
    let own = certs
        .iter()
        .position(|cert| cert.local_key_id.is_some() && cert.local_key_id == key.local_key_id)
        .unwrap_or(0);
    let leaf = certs.remove(own);
    let chain = std::iter::once(leaf)
        .chain(certs)
        .map(|cert| CertificateDer::from(cert.der))
        .collect();
    Ok((
        chain,
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.der)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(property: &str, password: &str) -> ClientCertProblem {
        match load(property, password) {
            Err(TlsError::ClientCertificate { problem, .. }) => problem,
            other => panic!("{property}: {:?}", other.map(|i| i.is_some())),
        }
    }

    #[test]
    fn empty_means_none_and_bad_input_says_what_is_wrong() {
        assert!(matches!(load("  ", ""), Ok(None)));
        assert!(matches!(
            problem("/no/such/client.pfx", "x"),
            ClientCertProblem::Unreadable(_)
        ));
        let key_only = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert_eq!(problem(key_only, ""), ClientCertProblem::NoCertificate);
        let cert_only = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(problem(cert_only, ""), ClientCertProblem::NoKey);
        let encrypted = format!(
            "{cert_only}-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
        );
        assert_eq!(problem(&encrypted, ""), ClientCertProblem::EncryptedKey);
        let file = std::env::temp_dir().join(format!("socketio1c-{}.bin", std::process::id()));
        std::fs::write(&file, b"not a certificate").unwrap();
        let path = file.display().to_string();
        assert_eq!(problem(&path, ""), ClientCertProblem::NotCertificate);
        std::fs::write(&file, [0x30, 3, 2, 1, 3]).unwrap();
        assert_eq!(problem(&path, ""), ClientCertProblem::NotCertificate);
        std::fs::remove_file(&file).unwrap();
    }
}
