//! The fixture format's JSON Schema is generated from the code; the checked-in copy must
//! match it. `UPDATE_SCHEMAS=1 cargo test --test schema` rewrites the file.

use idm_credentials::fixtures;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/fixtures.schema.json");

#[test]
fn the_checked_in_fixture_schema_is_current() {
    let generated = fixtures::schema();
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(PATH, &generated).expect("schema written");
        return;
    }
    let checked_in = std::fs::read_to_string(PATH).unwrap_or_default();
    assert!(
        checked_in == generated,
        "openapi/fixtures.schema.json is out of date; regenerate it with \
         UPDATE_SCHEMAS=1 cargo test --test schema"
    );
}

#[test]
fn the_schema_describes_every_credential_type() {
    let schema: serde_json::Value = serde_json::from_str(&fixtures::schema()).expect("JSON");
    let text = schema.to_string();
    for kind in fixtures::format::CredentialFixture::TYPES {
        assert!(text.contains(&format!("\"{kind}\"")), "{kind} missing");
    }
    for field in [
        "mobileNumber",
        "ticketValue",
        "password",
        "internalId",
        "clientExtId",
    ] {
        assert!(text.contains(field), "{field} missing");
    }
}
