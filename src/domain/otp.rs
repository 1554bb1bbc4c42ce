//! Checking one-time codes of an OATH credential (RFC 4226 HOTP, RFC 6238 TOTP): which
//! moving factor (HOTP counter, TOTP time step) a code belongs to, inside the accepted
//! window, and never one at or before the last accepted one (no code works twice).

use hmac::{Hmac, KeyInit, Mac};
use subtle::ConstantTimeEq;

use super::oath::{HashAlgorithm, OtpMethod};

/// TOTP: the time steps accepted around now (±1, RFC 6238 section 5.2's recommendation
/// for network delay and clock drift).
pub const TOTP_STEPS_AROUND: u64 = 1;
/// HOTP: how many counter values past the expected one a code may come from (codes the
/// user generated without logging in; RFC 4226 section 7.4's look-ahead parameter).
pub const HOTP_LOOK_AHEAD: u64 = 10;

/// The shortest and the longest code: RFC 4226 allows 6 to 8 digits.
pub const MIN_DIGITS: usize = 6;
pub const MAX_DIGITS: usize = 8;

/// HMAC over `message`; HMAC takes keys of any length, so `new_from_slice` cannot fail.
macro_rules! hmac {
    ($hash:ty, $key:expr, $message:expr) => {
        match <Hmac<$hash> as KeyInit>::new_from_slice($key) {
            Ok(mut mac) => {
                mac.update($message);
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    };
}

/// The HOTP value for `counter` (RFC 4226 section 5.3: HMAC, dynamic truncation, the last
/// `digits` decimal digits, zero-padded).
pub fn hotp(algorithm: HashAlgorithm, secret: &[u8], counter: u64, digits: u8) -> String {
    let message = counter.to_be_bytes();
    let mac = match algorithm {
        HashAlgorithm::Sha1 => hmac!(sha1::Sha1, secret, &message),
        HashAlgorithm::Sha256 => hmac!(sha2::Sha256, secret, &message),
        HashAlgorithm::Sha512 => hmac!(sha2::Sha512, secret, &message),
    };
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    let word = mac
        .get(offset..offset + 4)
        .map(|b| u32::from_be_bytes([b[0] & 0x7f, b[1], b[2], b[3]]))
        .unwrap_or(0);
    let code = u64::from(word) % 10_u64.pow(u32::from(digits));
    format!("{code:0width$}", width = usize::from(digits))
}

/// The TOTP time step of `unix_seconds` for steps of `period` seconds (RFC 6238 `T`).
pub fn time_step(unix_seconds: u64, period: u64) -> u64 {
    unix_seconds / period.max(1)
}

/// What a code is checked against: the credential's parameters and secret.
pub struct Generator<'a> {
    pub method: OtpMethod,
    pub algorithm: HashAlgorithm,
    pub digits: u8,
    pub period: u64,
    pub secret: &'a [u8],
}

impl Generator<'_> {
    /// The moving factor `code` belongs to, if it is one of those accepted at
    /// `unix_seconds`: TOTP the time steps now ± [`TOTP_STEPS_AROUND`], HOTP the counter
    /// values `counter` to `counter +` [`HOTP_LOOK_AHEAD`]; in both cases only factors
    /// after `last` (the last accepted one), so no code is accepted twice. Every candidate
    /// is computed and compared in constant time, match or not.
    pub fn accepts(
        &self,
        code: &str,
        unix_seconds: u64,
        counter: u64,
        last: Option<u64>,
    ) -> Option<u64> {
        let (first, end) = match self.method {
            OtpMethod::Totp => {
                let now = time_step(unix_seconds, self.period);
                (
                    now.saturating_sub(TOTP_STEPS_AROUND),
                    now.saturating_add(TOTP_STEPS_AROUND),
                )
            }
            OtpMethod::Hotp => (counter, counter.saturating_add(HOTP_LOOK_AHEAD)),
        };
        let first = match last {
            Some(last) => first.max(last.saturating_add(1)),
            None => first,
        };
        let mut found = None;
        for factor in first..=end {
            let expected = hotp(self.algorithm, self.secret, factor, self.digits);
            let equal: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
            if equal && found.is_none() {
                found = Some(factor);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4226 appendix D: the secret "12345678901234567890", counters 0 to 9.
    #[test]
    fn hotp_reproduces_rfc_4226_appendix_d() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(
                hotp(
                    HashAlgorithm::Sha1,
                    b"12345678901234567890",
                    counter as u64,
                    6
                ),
                *code,
                "counter {counter}"
            );
        }
    }

    fn rfc6238_seed(algorithm: HashAlgorithm) -> Vec<u8> {
        b"1234567890"
            .iter()
            .cycle()
            .take(algorithm.secret_len())
            .copied()
            .collect()
    }

    /// RFC 6238 appendix B: 8 digits, 30-second steps, SHA1/SHA256/SHA512.
    #[test]
    fn totp_reproduces_rfc_6238_appendix_b() {
        let vectors: [(u64, [&str; 3]); 6] = [
            (59, ["94287082", "46119246", "90693936"]),
            (1_111_111_109, ["07081804", "68084774", "25091201"]),
            (1_111_111_111, ["14050471", "67062674", "99943326"]),
            (1_234_567_890, ["89005924", "91819424", "93441116"]),
            (2_000_000_000, ["69279037", "90698825", "38618901"]),
            (20_000_000_000, ["65353130", "77737706", "47863826"]),
        ];
        let algorithms = [
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha512,
        ];
        for (i, algorithm) in algorithms.into_iter().enumerate() {
            let seed = rfc6238_seed(algorithm);
            let generator = Generator {
                method: OtpMethod::Totp,
                algorithm,
                digits: 8,
                period: 30,
                secret: &seed,
            };
            for (time, codes) in vectors {
                let step = time_step(time, 30);
                assert_eq!(
                    hotp(algorithm, &seed, step, 8),
                    codes[i],
                    "{algorithm:?} {time}"
                );
                assert_eq!(generator.accepts(codes[i], time, 0, None), Some(step));
            }
        }
    }

    fn totp() -> Generator<'static> {
        Generator {
            method: OtpMethod::Totp,
            algorithm: HashAlgorithm::Sha1,
            digits: 6,
            period: 30,
            secret: b"12345678901234567890",
        }
    }

    #[test]
    fn totp_accepts_one_step_either_side_and_never_a_step_twice() {
        let g = totp();
        let now = 1_111_111_111;
        let step = time_step(now, 30);
        let code = |s: u64| hotp(HashAlgorithm::Sha1, g.secret, s, 6);
        for s in [step - 1, step, step + 1] {
            assert_eq!(g.accepts(&code(s), now, 0, None), Some(s));
        }
        assert_eq!(g.accepts(&code(step - 2), now, 0, None), None);
        assert_eq!(g.accepts(&code(step + 2), now, 0, None), None);
        assert_eq!(g.accepts(&code(step), now, 0, Some(step)), None, "replay");
        assert_eq!(g.accepts(&code(step - 1), now, 0, Some(step)), None);
        assert_eq!(
            g.accepts(&code(step + 1), now, 0, Some(step)),
            Some(step + 1)
        );
        assert_eq!(g.accepts("", now, 0, None), None);
        assert_eq!(g.accepts(&code(step)[..5], now, 0, None), None);
    }

    #[test]
    fn hotp_looks_ahead_from_the_counter_and_not_behind() {
        let g = Generator {
            method: OtpMethod::Hotp,
            ..totp()
        };
        let code = |c: u64| hotp(HashAlgorithm::Sha1, g.secret, c, 6);
        assert_eq!(g.accepts(&code(0), 0, 0, None), Some(0));
        assert_eq!(g.accepts(&code(10), 0, 0, None), Some(10));
        assert_eq!(
            g.accepts(&code(11), 0, 0, None),
            None,
            "beyond the look-ahead"
        );
        assert_eq!(g.accepts(&code(4), 0, 5, None), None, "behind the counter");
        assert_eq!(g.accepts(&code(5), 0, 5, Some(5)), None, "replay");
        assert_eq!(g.accepts(&code(6), 0, 5, Some(5)), Some(6));
    }
}
