use std::fmt;

/// An external id (`extId`) of a client, user, policy or credential.
///
/// Non-empty, at most 255 characters, no control characters and no `/`, so that every
/// id can be written into a path and read back unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExtId(String);

pub const MAX_EXT_ID_LEN: usize = 255;

impl ExtId {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("must not be empty".into());
        }
        if text.chars().count() > MAX_EXT_ID_LEN {
            return Err(format!(
                "must not be longer than {MAX_EXT_ID_LEN} characters"
            ));
        }
        if text.chars().any(|c| c.is_control() || c == '/') {
            return Err("must not contain control characters or '/'".into());
        }
        if text == "." || text == ".." {
            return Err("must not be '.' or '..'".into());
        }
        Ok(Self(text.to_owned()))
    }

    /// A fresh server-generated id, used when a create request has no `extId`.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ExtId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_ids_are_accepted() {
        for id in ["client-123", "4a5e7346-0c1b", "100", "a.b_c@d"] {
            assert_eq!(ExtId::parse(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn hostile_ids_are_refused() {
        let long = "x".repeat(256);
        for id in ["", "..", ".", "a/b", "a\0b", "a\nb", long.as_str()] {
            assert!(ExtId::parse(id).is_err(), "{id:?}");
        }
    }

    #[test]
    fn generated_ids_are_valid_and_distinct() {
        let a = ExtId::generate();
        let b = ExtId::generate();
        assert_ne!(a, b);
        assert!(ExtId::parse(a.as_str()).is_ok());
    }
}
