//! Phone numbers in E.164, validated with libphonenumber's metadata (the `phonenumber`
//! crate, pinned so validation does not change under us).

use phonenumber::Mode;

/// A valid phone number: as the caller wrote it, and normalized (`+41791234567`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct E164 {
    raw: String,
    normalized: String,
}

impl E164 {
    /// Accepts a valid number in international form (leading `+`; spaces, dashes and
    /// brackets allowed, as people write numbers).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if !trimmed.starts_with('+') {
            return Err("must start with + and the country code".into());
        }
        let number =
            phonenumber::parse(None, trimmed).map_err(|e| format!("is not a phone number: {e}"))?;
        if !phonenumber::is_valid(&number) {
            return Err("is not a valid phone number".into());
        }
        Ok(Self {
            raw: raw.to_owned(),
            normalized: number.format().mode(Mode::E164).to_string(),
        })
    }

    /// Rebuilds a number read from the store (already validated when written).
    pub fn from_stored(raw: String, normalized: String) -> Self {
        Self { raw, normalized }
    }

    pub fn raw(&self) -> &str {
        &self.raw
    }

    pub fn e164(&self) -> &str {
        &self.normalized
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn international_numbers_normalize() {
        let n = E164::parse("+41 79 123 45 67").unwrap();
        assert_eq!(n.e164(), "+41791234567");
        assert_eq!(n.raw(), "+41 79 123 45 67");
        assert_eq!(E164::parse("+36201234567").unwrap().e164(), "+36201234567");
    }

    #[test]
    fn national_and_invalid_numbers_are_refused() {
        for bad in ["079 123 45 67", "+41 12", "+999 123", "hello", "", "+"] {
            assert!(E164::parse(bad).is_err(), "{bad}");
        }
    }
}
