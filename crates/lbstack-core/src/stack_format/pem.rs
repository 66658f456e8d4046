//! What ACM's ImportCertificate would refuse, found offline: a certificate that is not PEM or
//! not X.509, one expired or not yet valid, a key that is not a key (or is encrypted), a key
//! that does not belong to the certificate, a chain that is not certificates.
//!
//! PEM is decoded by rustls-pki-types; the few DER fields needed (validity, the public key) are
//! read by a small DER walker here, and a key matches its certificate when the public key it
//! holds (the RSA modulus, the EC point) is the certificate's: no cryptography is needed.

use rustls_pki_types::pem::PemObject;

/// Largest PEM file read (a certificate with a long chain is a few KB).
pub const MAX_PEM_BYTES: u64 = 256 * 1024;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// One DER element: tag and contents.
#[derive(Debug, Clone, Copy)]
struct Der<'a> {
    tag: u8,
    body: &'a [u8],
}

/// The first element of `input` and what follows it.
fn element(input: &[u8]) -> Option<(Der<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        (rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | *b as usize), &rest[n..])
    };
    (rest.len() >= len).then(|| (Der { tag, body: &rest[..len] }, &rest[len..]))
}

/// The elements inside a constructed element.
fn children(d: Der<'_>) -> Vec<Der<'_>> {
    let mut out = Vec::new();
    let mut rest = d.body;
    while let Some((e, r)) = element(rest) {
        out.push(e);
        rest = r;
    }
    out
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// An INTEGER's magnitude, without the sign byte DER adds to positive numbers with a high bit.
fn unsigned(i: &[u8]) -> &[u8] {
    let mut i = i;
    while i.len() > 1 && i[0] == 0 {
        i = &i[1..];
    }
    i
}

/// What a certificate says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct CertInfo {
    pub not_before: chrono::DateTime<chrono::Utc>,
    pub not_after: chrono::DateTime<chrono::Utc>,
    pub key: PublicKey,
}

/// The public key of a certificate or a private key, as far as matching needs.
#[derive(Debug, Clone, PartialEq)]
pub enum PublicKey {
    /// The modulus; its bit length is the key size.
    Rsa(Vec<u8>),
    /// The encoded point.
    Ec(Vec<u8>),
    Other,
}

fn time(d: Der<'_>) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = std::str::from_utf8(d.body).ok()?;
    let full = match d.tag {
        UTC_TIME if text.len() == 13 => {
            // Years 50-99 are 19xx (RFC 5280).
            let yy: u32 = text[..2].parse().ok()?;
            format!("{}{text}", if yy >= 50 { "19" } else { "20" })
        }
        GENERALIZED_TIME if text.len() == 15 => text.to_string(),
        _ => return None,
    };
    chrono::NaiveDateTime::parse_from_str(full.trim_end_matches('Z'), "%Y%m%d%H%M%S").ok().map(|t| t.and_utc())
}

const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const EC_OID: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// The algorithm OID of an AlgorithmIdentifier.
fn oid(alg: Der<'_>) -> Option<&[u8]> {
    children(alg).first().map(|o| o.body)
}

fn spki_key(spki: Der<'_>) -> Option<PublicKey> {
    let parts = children(spki);
    let (alg, bits) = (parts.first()?, parts.get(1).filter(|b| b.tag == BIT_STRING)?);
    let oid = oid(*alg)?;
    let key = bits.body.get(1..)?; // the unused-bits byte
    Some(if oid == RSA_OID {
        let (seq, _) = element(key)?;
        PublicKey::Rsa(unsigned(children(seq).first()?.body).to_vec())
    } else if oid == EC_OID {
        PublicKey::Ec(key.to_vec())
    } else {
        PublicKey::Other
    })
}

/// Validity and public key of a DER certificate.
pub fn cert_info(der: &[u8]) -> Option<CertInfo> {
    let (cert, _) = element(der)?;
    let tbs = *children(cert).first().filter(|t| t.tag == SEQUENCE)?;
    let mut fields = children(tbs);
    // `[0] version` is optional.
    if fields.first().is_some_and(|f| f.tag == 0xa0) {
        fields.remove(0);
    }
    // serial, signature, issuer, validity, subject, subjectPublicKeyInfo
    let validity = children(*fields.get(3)?);
    Some(CertInfo {
        not_before: time(*validity.first()?)?,
        not_after: time(*validity.get(1)?)?,
        key: spki_key(*fields.get(5)?)?,
    })
}

/// The public key a private key holds (RSA: its modulus; EC: its point, when the key includes
/// it). None when the key does not say.
fn private_public_key(key: &PrivateKeyDer<'_>) -> Option<PublicKey> {
    let rsa = |der: &[u8]| -> Option<PublicKey> {
        let (seq, _) = element(der)?;
        Some(PublicKey::Rsa(unsigned(children(seq).get(1).filter(|m| m.tag == INTEGER)?.body).to_vec()))
    };
    let sec1 = |der: &[u8]| -> Option<PublicKey> {
        let (seq, _) = element(der)?;
        let public = children(seq).into_iter().find(|c| c.tag == 0xa1)?;
        let (bits, _) = element(public.body)?;
        Some(PublicKey::Ec(bits.body.get(1..)?.to_vec()))
    };
    match key {
        PrivateKeyDer::Pkcs1(k) => rsa(k.secret_pkcs1_der()),
        PrivateKeyDer::Sec1(k) => sec1(k.secret_sec1_der()),
        PrivateKeyDer::Pkcs8(k) => {
            let (seq, _) = element(k.secret_pkcs8_der())?;
            let parts = children(seq);
            let inner = parts.iter().find(|p| p.tag == OCTET_STRING)?.body;
            match oid(*parts.get(1)?)? {
                o if o == EC_OID => sec1(inner),
                o if o == RSA_OID => rsa(inner),
                _ => Some(PublicKey::Other),
            }
        }
        _ => None,
    }
}

/// Why ACM would refuse this certificate (PEM text), checked at `now`.
pub fn check_certificate(pem: &[u8], now: chrono::DateTime<chrono::Utc>) -> Result<CertInfo, String> {
    let der = CertificateDer::from_pem_slice(pem)
        .map_err(|_| "it holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)".to_string())?;
    let info = cert_info(&der).ok_or("its certificate is not valid X.509 (DER) inside the PEM armour")?;
    if info.not_after < now {
        return Err(format!("the certificate expired on {}", info.not_after.format("%Y-%m-%d")));
    }
    if info.not_before > now {
        return Err(format!("the certificate is not valid until {}", info.not_before.format("%Y-%m-%d")));
    }
    if let PublicKey::Rsa(m) = &info.key {
        let bits = m.len() * 8 - m.first().map_or(0, |b| b.leading_zeros() as usize);
        if ![1024, 2048, 3072, 4096].contains(&bits) {
            return Err(format!("its RSA key has {bits} bits; ACM imports RSA keys of 1024, 2048, 3072 or 4096 bits"));
        }
    }
    if info.key == PublicKey::Other {
        return Err("its key is neither RSA nor ECDSA; ACM imports only those".into());
    }
    Ok(info)
}

/// Why ACM would refuse this private key (PEM text) for a certificate with `cert_key`.
pub fn check_private_key(pem: &[u8], cert_key: Option<&PublicKey>) -> Result<(), String> {
    let text = String::from_utf8_lossy(pem);
    if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err("the private key is encrypted; ACM imports unencrypted keys only".into());
    }
    let key = PrivateKeyDer::from_pem_slice(pem)
        .map_err(|_| "it holds no PEM private key (`-----BEGIN PRIVATE KEY-----`)".to_string())?;
    match (private_public_key(&key), cert_key) {
        (Some(mine), Some(theirs)) if mine != *theirs => {
            Err("the private key does not belong to the certificate".into())
        }
        _ => Ok(()),
    }
}

/// Why ACM would refuse this chain (PEM certificates).
pub fn check_chain(pem: &[u8]) -> Result<(), String> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|_| "the chain is not PEM certificates".to_string())?;
    if certs.is_empty() {
        return Err("the chain holds no PEM certificate".into());
    }
    if certs.iter().any(|c| cert_info(c).is_none()) {
        return Err("a certificate of the chain is not valid X.509".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/invalid/files").join(name),
        )
        .unwrap()
    }

    #[test]
    fn matching_rsa_and_ec_pairs_pass_and_others_are_refused_with_the_reason() {
        let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
        for (cert, key) in [("site.pem", "site.key"), ("ec.pem", "ec.key")] {
            let info = check_certificate(&fixture(cert), now).unwrap();
            assert!(matches!(info.key, PublicKey::Rsa(_) | PublicKey::Ec(_)));
            check_private_key(&fixture(key), Some(&info.key)).unwrap();
        }
        let site = check_certificate(&fixture("site.pem"), now).unwrap();
        assert!(check_private_key(&fixture("other.key"), Some(&site.key)).unwrap_err().contains("does not belong"));
        assert!(check_private_key(&fixture("ec.key"), Some(&site.key)).unwrap_err().contains("does not belong"));
        assert!(check_private_key(&fixture("site.pem"), None).unwrap_err().contains("no PEM private key"));
        assert!(check_certificate(&fixture("site.key"), now).unwrap_err().contains("no PEM certificate"));
        assert!(check_certificate(&fixture("expired.pem"), now).unwrap_err().contains("expired on"));
        let before = chrono::DateTime::parse_from_rfc3339("2025-12-01T00:00:00Z").unwrap().with_timezone(&chrono::Utc);
        assert!(check_certificate(&fixture("site.pem"), before).unwrap_err().contains("not valid until"));
        check_chain(&[fixture("site.pem"), fixture("ec.pem")].concat()).unwrap();
        assert!(check_chain(b"junk").is_err());
    }
}
