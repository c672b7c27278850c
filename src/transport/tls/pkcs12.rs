//! PKCS#12 (`.pfx`, `.p12`, RFC 7292) read into private keys and certificates: what Windows'
//! "export with private key" and `openssl pkcs12 -export` write. Pure: the file's bytes and the
//! password in, DER out.
//!
//! The file's MAC is checked first (a wrong password shows there, before any decryption), then
//! each encrypted part is decrypted: PBES2 with PBKDF2 and AES or 3DES (OpenSSL 3, Windows 10
//! and later), and the PKCS#12 password-based schemes with SHA-1 and 3DES or RC2 (older exports,
//! OpenSSL 1.x). Hashes, HMAC and PBKDF2 come from ring, the block ciphers from RustCrypto.

use std::num::NonZeroU32;

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockCipherDecrypt, BlockModeDecrypt, InnerIvInit, KeyInit};
use ring::{digest, hmac, pbkdf2};

use super::der::{Malformed, Reader, Tlv, EXPLICIT_0, OCTET_STRING, SEQUENCE, SET};

/// The most key-derivation iterations accepted: far above what any writer uses (2 048 to
/// 600 000), low enough that a damaged file cannot keep a connect busy for minutes.
const MAX_ITERATIONS: u64 = 10_000_000;

/// How deep `safeContentsBag`s may nest.
const MAX_NESTING: usize = 4;

/// What a PKCS#12 file holds that a TLS client needs.
#[derive(Debug, Default)]
pub struct Contents {
    /// Private keys, PKCS#8 DER, each with its `localKeyId` attribute.
    pub keys: Vec<Item>,
    /// X.509 certificates, DER, each with its `localKeyId` attribute.
    pub certs: Vec<Item>,
}

/// A key or a certificate and the id that pairs them.
#[derive(Debug)]
pub struct Item {
    /// DER.
    pub der: Vec<u8>,
    /// The `localKeyId` attribute: equal on a key and its certificate.
    pub local_key_id: Option<Vec<u8>>,
}

/// Why a PKCS#12 file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pkcs12Error {
    /// Not a PKCS#12 file (or a damaged one).
    Malformed,
    /// The password does not open it.
    WrongPassword,
    /// It uses something not supported here (the algorithm's name or OID).
    Unsupported(String),
}

impl From<Malformed> for Pkcs12Error {
    fn from(_: Malformed) -> Pkcs12Error {
        Pkcs12Error::Malformed
    }
}

/// Reads `file` with `password`.
pub fn read(file: &[u8], password: &str) -> Result<Contents, Pkcs12Error> {
    let pfx = Reader(file).next_tagged(SEQUENCE)?;
    let mut pfx = pfx.reader();
    if pfx.next()?.unsigned()? != 3 {
        return Err(Pkcs12Error::Malformed);
    }
    let auth_safe = pfx.next_tagged(SEQUENCE)?;
    let mut auth_safe = auth_safe.reader();
    if !auth_safe.next()?.is_oid(DATA) {
        // signedData: the public-key integrity mode, which nothing in practice writes.
        return Err(Pkcs12Error::Unsupported("public-key integrity mode".into()));
    }
    let data = explicit(&mut auth_safe)?.octets()?;
    let password = Password::new(password);
    if let Some(mac) = pfx.optional(SEQUENCE)? {
        check_mac(&mac, &password, &data)?;
    }
    let mut contents = Contents::default();
    let mut infos = Reader(&data).next_tagged(SEQUENCE)?.reader();
    while !infos.is_empty() {
        let info = infos.next_tagged(SEQUENCE)?;
        let mut info = info.reader();
        let kind = info.next()?;
        if kind.is_oid(DATA) {
            let safe = explicit(&mut info)?.octets()?;
            read_bags(&safe, &password, &mut contents, 0)?;
        } else if kind.is_oid(ENCRYPTED_DATA) {
            // EncryptedData { version, EncryptedContentInfo { type, algorithm, [0] content } }
            let encrypted = explicit(&mut info)?;
            let mut encrypted = encrypted.reader();
            encrypted.next()?;
            let content_info = encrypted.next_tagged(SEQUENCE)?;
            let mut content_info = content_info.reader();
            content_info.next()?;
            let algorithm = content_info.next_tagged(SEQUENCE)?;
            let ciphertext = content_info.next()?;
            if ciphertext.tag & 0x1f != 0 || ciphertext.tag & 0xc0 != 0x80 {
                return Err(Pkcs12Error::Malformed);
            }
            let safe = decrypt(&algorithm, &password, &ciphertext.octets()?)?;
            read_bags(&safe, &password, &mut contents, 0)?;
        } else {
            return Err(Pkcs12Error::Unsupported("enveloped content".into()));
        }
    }
    Ok(contents)
}

const DATA: &str = "1.2.840.113549.1.7.1";
const ENCRYPTED_DATA: &str = "1.2.840.113549.1.7.6";
const KEY_BAG: &str = "1.2.840.113549.1.12.10.1.1";
const SHROUDED_KEY_BAG: &str = "1.2.840.113549.1.12.10.1.2";
const CERT_BAG: &str = "1.2.840.113549.1.12.10.1.3";
const SAFE_CONTENTS_BAG: &str = "1.2.840.113549.1.12.10.1.6";
const X509_CERTIFICATE: &str = "1.2.840.113549.1.9.22.1";
const LOCAL_KEY_ID: &str = "1.2.840.113549.1.9.21";
const PBES2: &str = "1.2.840.113549.1.5.13";
const PBKDF2: &str = "1.2.840.113549.1.5.12";

/// The password in the two forms the schemes take.
struct Password {
    /// UTF-8, as PBES2 takes it (what OpenSSL and Windows pass).
    utf8: Vec<u8>,
    /// UTF-16BE with a terminating zero: the PKCS#12 key derivation's `BMPString`.
    bmp: Vec<u8>,
}

impl Password {
    fn new(password: &str) -> Password {
        let mut bmp: Vec<u8> = password.encode_utf16().flat_map(u16::to_be_bytes).collect();
        bmp.extend([0, 0]);
        Password {
            utf8: password.as_bytes().to_vec(),
            bmp,
        }
    }
}

/// The `[0] EXPLICIT` element's inner element.
fn explicit<'a>(reader: &mut Reader<'a>) -> Result<Tlv<'a>, Malformed> {
    reader.next_tagged(EXPLICIT_0)?.reader().next()
}

/// The value `oid` names in `table`.
fn lookup<T: Copy>(oid: &Tlv<'_>, table: &[(&str, T)]) -> Option<T> {
    table
        .iter()
        .find(|(name, _)| oid.is_oid(name))
        .map(|(_, t)| *t)
}

/// The SHA-2 or SHA-1 hash named by a digest OID.
fn hash(oid: &Tlv<'_>) -> Result<&'static digest::Algorithm, Pkcs12Error> {
    let table: [(&str, &'static digest::Algorithm); 4] = [
        ("1.3.14.3.2.26", &digest::SHA1_FOR_LEGACY_USE_ONLY),
        ("2.16.840.1.101.3.4.2.1", &digest::SHA256),
        ("2.16.840.1.101.3.4.2.2", &digest::SHA384),
        ("2.16.840.1.101.3.4.2.3", &digest::SHA512),
    ];
    lookup(oid, &table).ok_or_else(|| unsupported("MAC hash", oid))
}

fn unsupported(what: &str, oid: &Tlv<'_>) -> Pkcs12Error {
    let name = super::der::oid_text(oid.content).unwrap_or_default();
    Pkcs12Error::Unsupported(format!("{what} {name}"))
}

/// An iteration count within bounds.
fn iterations(tlv: &Tlv<'_>) -> Result<NonZeroU32, Pkcs12Error> {
    let n = tlv.unsigned()?;
    if n > MAX_ITERATIONS {
        return Err(Pkcs12Error::Unsupported(format!("{n} iterations")));
    }
    NonZeroU32::new(n as u32).ok_or(Pkcs12Error::Malformed)
}

/// Checks the file's MAC: `MacData { DigestInfo { algorithm, digest }, salt, iterations }`.
fn check_mac(mac: &Tlv<'_>, password: &Password, data: &[u8]) -> Result<(), Pkcs12Error> {
    let mut mac = mac.reader();
    let digest_info = mac.next_tagged(SEQUENCE)?;
    let mut digest_info = digest_info.reader();
    let algorithm = digest_info.next_tagged(SEQUENCE)?;
    let hash = hash(&algorithm.reader().next()?)?;
    let expected = digest_info.next_tagged(OCTET_STRING)?;
    let salt = mac.next_tagged(OCTET_STRING)?;
    let rounds = match mac.optional(super::der::INTEGER)? {
        Some(n) => iterations(&n)?,
        None => NonZeroU32::MIN,
    };
    let hmac = match hash.output_len() {
        20 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        32 => hmac::HMAC_SHA256,
        48 => hmac::HMAC_SHA384,
        _ => hmac::HMAC_SHA512,
    };
    // An empty password is written by some tools as no password at all (no terminating zero).
    let forms: &[&[u8]] = if password.utf8.is_empty() {
        &[&password.bmp, &[]]
    } else {
        &[&password.bmp]
    };
    for form in forms {
        let key = derive(hash, form, salt.content, 3, rounds, hash.output_len());
        if hmac::verify(&hmac::Key::new(hmac, &key), data, expected.content).is_ok() {
            return Ok(());
        }
    }
    Err(Pkcs12Error::WrongPassword)
}

/// The PKCS#12 key derivation (RFC 7292 appendix B.2): `n` bytes of key (`id` 1), IV (2) or
/// MAC key (3) from the password (as `BMPString`) and the salt.
fn derive(
    hash: &'static digest::Algorithm,
    password: &[u8],
    salt: &[u8],
    id: u8,
    rounds: NonZeroU32,
    n: usize,
) -> Vec<u8> {
    let (u, v) = (hash.output_len(), hash.block_len());
    let repeat = |s: &[u8]| -> Vec<u8> {
        let len = v * s.len().div_ceil(v);
        s.iter().copied().cycle().take(len).collect()
    };
    let mut input = [repeat(salt), repeat(password)].concat();
    let diversifier = vec![id; v];
    let mut out = Vec::with_capacity(n);
    loop {
        let mut first = digest::Context::new(hash);
        first.update(&diversifier);
        first.update(&input);
        let mut a = first.finish();
        for _ in 1..rounds.get() {
            a = digest::digest(hash, a.as_ref());
        }
        let a = a.as_ref();
        out.extend_from_slice(&a[..u.min(n - out.len())]);
        if out.len() == n {
            return out;
        }
        // Each v-byte block of the input becomes block + B + 1, B being A repeated to v bytes.
        let b: Vec<u8> = a.iter().copied().cycle().take(v).collect();
        for block in input.chunks_mut(v) {
            let mut carry = 1u16;
            for (x, y) in block.iter_mut().zip(&b).rev() {
                let sum = u16::from(*x) + u16::from(*y) + carry;
                *x = sum as u8;
                carry = sum >> 8;
            }
        }
    }
}

/// The ciphers of the PKCS#12 schemes (`pbeWithSHAAnd…`).
#[derive(Clone, Copy)]
enum Legacy {
    TripleDes,
    TwoKeyTripleDes,
    Rc2,
}

/// The ciphers PBES2 names.
#[derive(Clone, Copy)]
enum Modern {
    Aes128,
    Aes192,
    Aes256,
    TripleDes,
}

/// Decrypts `ciphertext` with the password-based scheme `algorithm` (an AlgorithmIdentifier).
fn decrypt(
    algorithm: &Tlv<'_>,
    password: &Password,
    ciphertext: &[u8],
) -> Result<Vec<u8>, Pkcs12Error> {
    let mut algorithm = algorithm.reader();
    let oid = algorithm.next()?;
    let params = algorithm.next_tagged(SEQUENCE)?;
    if oid.is_oid(PBES2) {
        return decrypt_pbes2(&params, password, ciphertext);
    }
    // pbeWithSHAAnd…: { salt, iterations }, key and IV by the PKCS#12 derivation with SHA-1.
    let mut params = params.reader();
    let salt = params.next_tagged(OCTET_STRING)?;
    let rounds = iterations(&params.next()?)?;
    let sha1 = &digest::SHA1_FOR_LEGACY_USE_ONLY;
    // (cipher, key bytes); RC2's effective key bits are its key's.
    let table = [
        ("1.2.840.113549.1.12.1.3", (Legacy::TripleDes, 24)),
        ("1.2.840.113549.1.12.1.4", (Legacy::TwoKeyTripleDes, 16)),
        ("1.2.840.113549.1.12.1.5", (Legacy::Rc2, 16)),
        ("1.2.840.113549.1.12.1.6", (Legacy::Rc2, 5)),
    ];
    let (cipher, len) = lookup(&oid, &table).ok_or_else(|| unsupported("encryption", &oid))?;
    let key = derive(sha1, &password.bmp, salt.content, 1, rounds, len);
    let iv = derive(sha1, &password.bmp, salt.content, 2, rounds, 8);
    let plain = match cipher {
        Legacy::TripleDes => cbc_decrypt::<des::TdesEde3>(&key, &iv, ciphertext),
        Legacy::TwoKeyTripleDes => cbc_decrypt::<des::TdesEde2>(&key, &iv, ciphertext),
        Legacy::Rc2 => cbc_with(
            rc2::Rc2::new_with_eff_key_len(&key, len * 8),
            &iv,
            ciphertext,
        ),
    };
    plain.ok_or(Pkcs12Error::WrongPassword)
}

/// PBES2 (RFC 8018): `{ PBKDF2 { salt, iterations, [key length], [PRF] }, cipher { IV } }`.
fn decrypt_pbes2(
    params: &Tlv<'_>,
    password: &Password,
    ciphertext: &[u8],
) -> Result<Vec<u8>, Pkcs12Error> {
    let mut params = params.reader();
    let kdf = params.next_tagged(SEQUENCE)?;
    let scheme = params.next_tagged(SEQUENCE)?;
    let mut kdf = kdf.reader();
    let kdf_oid = kdf.next()?;
    if !kdf_oid.is_oid(PBKDF2) {
        return Err(unsupported("key derivation", &kdf_oid));
    }
    let kdf_params = kdf.next_tagged(SEQUENCE)?;
    let mut kdf_params = kdf_params.reader();
    let salt = kdf_params.next_tagged(OCTET_STRING)?;
    let rounds = iterations(&kdf_params.next()?)?;
    kdf_params.optional(super::der::INTEGER)?;
    let prf = match kdf_params.optional(SEQUENCE)? {
        None => pbkdf2::PBKDF2_HMAC_SHA1,
        Some(prf) => {
            let prf = prf.reader().next()?;
            let table = [
                ("1.2.840.113549.2.7", pbkdf2::PBKDF2_HMAC_SHA1),
                ("1.2.840.113549.2.9", pbkdf2::PBKDF2_HMAC_SHA256),
                ("1.2.840.113549.2.10", pbkdf2::PBKDF2_HMAC_SHA384),
                ("1.2.840.113549.2.11", pbkdf2::PBKDF2_HMAC_SHA512),
            ];
            lookup(&prf, &table).ok_or_else(|| unsupported("PBKDF2 hash", &prf))?
        }
    };
    let mut scheme = scheme.reader();
    let cipher = scheme.next()?;
    let iv = scheme.next_tagged(OCTET_STRING)?;
    let table = [
        ("2.16.840.1.101.3.4.1.2", (Modern::Aes128, 16)),
        ("2.16.840.1.101.3.4.1.22", (Modern::Aes192, 24)),
        ("2.16.840.1.101.3.4.1.42", (Modern::Aes256, 32)),
        ("1.2.840.113549.3.7", (Modern::TripleDes, 24)),
    ];
    let (cipher, key_len) =
        lookup(&cipher, &table).ok_or_else(|| unsupported("cipher", &cipher))?;
    let mut key = vec![0; key_len];
    pbkdf2::derive(prf, rounds, salt.content, &password.utf8, &mut key);
    let iv = iv.content;
    let plain = match cipher {
        Modern::Aes128 => cbc_decrypt::<aes::Aes128>(&key, iv, ciphertext),
        Modern::Aes192 => cbc_decrypt::<aes::Aes192>(&key, iv, ciphertext),
        Modern::Aes256 => cbc_decrypt::<aes::Aes256>(&key, iv, ciphertext),
        Modern::TripleDes => cbc_decrypt::<des::TdesEde3>(&key, iv, ciphertext),
    };
    plain.ok_or(Pkcs12Error::WrongPassword)
}

/// CBC with PKCS#7 padding; `None` when the key or IV has the wrong size or the padding is
/// wrong (what a wrong password gives when the file has no MAC).
fn cbc_decrypt<C: BlockCipherDecrypt + KeyInit>(
    key: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
) -> Option<Vec<u8>> {
    let cipher = C::new_from_slice(key).ok()?;
    cbc_with(cipher, iv, ciphertext)
}

/// CBC with a cipher already keyed (RC2 takes its effective key bits besides the key).
fn cbc_with<C: BlockCipherDecrypt>(cipher: C, iv: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
    cbc::Decryptor::inner_iv_slice_init(cipher, iv)
        .ok()?
        .decrypt_padded_vec::<Pkcs7>(ciphertext)
        .ok()
}

/// Reads `SafeContents` (a sequence of bags) into `contents`.
fn read_bags(
    safe: &[u8],
    password: &Password,
    contents: &mut Contents,
    depth: usize,
) -> Result<(), Pkcs12Error> {
    if depth > MAX_NESTING {
        return Err(Pkcs12Error::Malformed);
    }
    let mut bags = Reader(safe).next_tagged(SEQUENCE)?.reader();
    while !bags.is_empty() {
        let bag = bags.next_tagged(SEQUENCE)?;
        let mut bag = bag.reader();
        let kind = bag.next()?;
        let value = explicit(&mut bag)?;
        let local_key_id = match bag.optional(SET)? {
            Some(attributes) => local_key_id(&attributes)?,
            None => None,
        };
        if kind.is_oid(KEY_BAG) {
            let der = value.raw.to_vec();
            contents.keys.push(Item { der, local_key_id });
        } else if kind.is_oid(SHROUDED_KEY_BAG) {
            // EncryptedPrivateKeyInfo { algorithm, encrypted data }
            let mut shrouded = value.reader();
            let algorithm = shrouded.next_tagged(SEQUENCE)?;
            let ciphertext = shrouded.next()?.octets()?;
            let der = decrypt(&algorithm, password, &ciphertext)?;
            contents.keys.push(Item { der, local_key_id });
        } else if kind.is_oid(CERT_BAG) {
            // CertBag { type, [0] EXPLICIT OCTET STRING }: only X.509 certificates matter.
            let mut cert = value.reader();
            if cert.next()?.is_oid(X509_CERTIFICATE) {
                let der = explicit(&mut cert)?.octets()?.into_owned();
                contents.certs.push(Item { der, local_key_id });
            }
        } else if kind.is_oid(SAFE_CONTENTS_BAG) {
            read_bags(value.raw, password, contents, depth + 1)?;
        }
        // CRL and secret bags carry nothing a TLS client uses.
    }
    Ok(())
}

/// The `localKeyId` among a bag's attributes (`SET OF { type, SET OF value }`).
fn local_key_id(attributes: &Tlv<'_>) -> Result<Option<Vec<u8>>, Malformed> {
    let mut attributes = attributes.reader();
    while !attributes.is_empty() {
        let attribute = attributes.next_tagged(SEQUENCE)?;
        let mut attribute = attribute.reader();
        if attribute.next()?.is_oid(LOCAL_KEY_ID) {
            let values = attribute.next_tagged(SET)?;
            return Ok(Some(values.reader().next()?.octets()?.into_owned()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_derivation_matches_a_known_answer() {
        // RFC 7292's derivation as OpenSSL computes it (PKCS12_key_gen_uni): password "smeg",
        // salt 0A58CF64530D823F, 1 iteration, key id 1, 24 bytes (from OpenSSL's test vectors).
        let password = Password::new("smeg");
        let salt = [0x0a, 0x58, 0xcf, 0x64, 0x53, 0x0d, 0x82, 0x3f];
        let key = derive(
            &digest::SHA1_FOR_LEGACY_USE_ONLY,
            &password.bmp,
            &salt,
            1,
            NonZeroU32::MIN,
            24,
        );
        let hex: String = key.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(hex, "8AAAE6297B6CB04642AB5B077851284EB7128F1A2A7FBCA3");
    }

    #[test]
    fn what_is_not_pkcs12_is_malformed() {
        assert_eq!(read(b"", "").err(), Some(Pkcs12Error::Malformed));
        assert_eq!(
            read(&[0x30, 3, 2, 1, 3], "").err(),
            Some(Pkcs12Error::Malformed)
        );
        assert_eq!(
            read(&[0x30, 3, 2, 1, 9], "").err(),
            Some(Pkcs12Error::Malformed)
        );
    }
}
