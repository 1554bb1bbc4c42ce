use chrono::{DateTime, SecondsFormat, Utc};

/// nevisIDM's wire format: UTC, whole seconds, `Z` (`2024-03-15T10:30:00Z`).
pub fn format(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Any RFC 3339 timestamp, converted to UTC.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// The current time, cut to milliseconds so that it survives a round trip through
/// either store unchanged.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_accepted_and_emitted_as_utc_seconds() {
        let at = parse("2024-03-15T12:30:00.750+02:00").unwrap();
        assert_eq!(format(&at), "2024-03-15T10:30:00Z");
    }

    #[test]
    fn non_rfc3339_input_is_refused() {
        assert!(parse("15.03.2024").is_none());
        assert!(parse("2024-03-15").is_none());
    }
}
