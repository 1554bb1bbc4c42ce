use chrono::{DateTime, Datelike, SecondsFormat, Utc};

/// nevisIDM's wire format: UTC, whole seconds, `Z` (`2024-03-15T10:30:00Z`).
pub fn format(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Why a timestamp was refused: the text for the client.
pub const NOT_RFC3339: &str = "must be an RFC 3339 timestamp (2024-03-15T10:30:00Z)";
pub const OUT_OF_RANGE: &str = "must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z";

/// An RFC 3339 timestamp, converted to UTC and [`normalize`]d, in years 0001 to 9999.
///
/// Beyond those years the wire format needs a sign and more digits (`+10000-01-01...`,
/// which this server refuses as input), and PostgreSQL cannot read such a value back from
/// text: a write batch holding one failed as a whole. An offset can carry a date over the
/// edge (`9999-12-31T23:59:59-23:59` is year 10000 in UTC), so the check is on the UTC value.
pub fn parse(text: &str) -> Result<DateTime<Utc>, &'static str> {
    let at = DateTime::parse_from_rfc3339(text).map_err(|_| NOT_RFC3339)?;
    let at = normalize(at.with_timezone(&Utc));
    if in_range(&at) {
        Ok(at)
    } else {
        Err(OUT_OF_RANGE)
    }
}

/// Whether `at` lies in years 0001 to 9999.
pub fn in_range(at: &DateTime<Utc>) -> bool {
    (1..=9999).contains(&at.year())
}

/// The value both stores keep alike: cut to milliseconds, and a leap second (`23:59:60`)
/// as the start of the next second, as PostgreSQL reads it (SQLite would keep `:60`).
pub fn normalize(at: DateTime<Utc>) -> DateTime<Utc> {
    // Past a leap second, chrono's milliseconds already count from the next second.
    DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at)
}

/// `at + lifetime`, but no later than the last second of year 9999: a policy's
/// `credentialLifetime` can reach past it, and such a `validity.to` could not be stored
/// alike by both stores nor sent back in the wire format.
pub fn after(at: DateTime<Utc>, lifetime: chrono::Duration) -> DateTime<Utc> {
    let latest = DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(at);
    at.checked_add_signed(lifetime)
        .map_or(latest, |end| end.min(latest))
}

/// The current time, cut to milliseconds so that it survives a round trip through
/// either store unchanged.
pub fn now() -> DateTime<Utc> {
    normalize(Utc::now())
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
        assert_eq!(parse("15.03.2024"), Err(NOT_RFC3339));
        assert_eq!(parse("2024-03-15"), Err(NOT_RFC3339));
    }

    #[test]
    fn years_outside_0001_to_9999_in_utc_are_refused() {
        for text in [
            "0000-01-01T00:00:00Z",
            "0001-01-01T00:00:00+00:01",
            "9999-12-31T23:59:59-23:59",
            "9999-12-31T23:59:60Z",
        ] {
            assert_eq!(parse(text), Err(OUT_OF_RANGE), "{text}");
        }
        assert!(parse("0001-01-01T00:00:00Z").is_ok());
        assert!(parse("9999-12-31T23:59:59Z").is_ok());
    }

    #[test]
    fn a_lifetime_ends_in_year_9999_at_the_latest() {
        let now = now();
        let end = after(now, chrono::Duration::days(5));
        assert_eq!(end - now, chrono::Duration::days(5));
        let end = after(now, chrono::Duration::milliseconds(i64::MAX));
        assert_eq!(format(&end), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn a_leap_second_is_the_next_second_and_sub_millis_are_cut() {
        let at = parse("2016-12-31T23:59:60Z").unwrap();
        assert_eq!(format(&at), "2017-01-01T00:00:00Z");
        let at = parse("2024-03-15T10:30:00.123456789Z").unwrap();
        assert_eq!(at.timestamp_subsec_nanos(), 123_000_000);
    }
}
