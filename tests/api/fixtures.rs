//! Fixtures: import (one transaction, idempotent, conflicts and bad input named by path,
//! nothing written on failure) and export (secrets as stored), round trips on each store
//! and across stores.

use axum::http::Method;
use idm_credentials::app::SecretKey;
use idm_credentials::domain::oath::{self, HashAlgorithm, OathSettings, OtpMethod};
use idm_credentials::domain::{password, secret_box};
use idm_credentials::fixtures::format::CredentialFixture;
use idm_credentials::fixtures::{self, Fixture, FixtureError, Imported, Syntax};
use idm_credentials::store::{PoolSettings, Store};
use serde_json::{Value, json};

use crate::support::{BASE, TestApp, user_path};

const EXAMPLE: &str = include_str!("../../examples/fixtures.json");
const ACTOR: &str = "fixture-test";
/// The example's OATH secret, as a test team writes it.
const OATH_BASE32: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

fn example() -> Fixture {
    fixtures::parse(EXAMPLE, Syntax::Json).unwrap()
}

/// The example with one JSON change applied (`edit` gets the whole document).
fn edited(edit: impl FnOnce(&mut Value)) -> Fixture {
    let mut doc: Value = serde_json::from_str(EXAMPLE).unwrap();
    edit(&mut doc);
    fixtures::parse(&doc.to_string(), Syntax::Json).unwrap()
}

/// The problems of a refused import, as `path: message` lines.
async fn refused(app: &TestApp, key: &SecretKey, fixture: &Fixture) -> Vec<String> {
    match fixtures::import(&app.store, key, fixture, ACTOR).await {
        Err(FixtureError::Invalid(problems)) => problems.iter().map(ToString::to_string).collect(),
        other => panic!("expected the import to be refused, got {other:?}"),
    }
}

async fn export_text(store: &Store) -> String {
    fixtures::render(&fixtures::export(store).await.unwrap(), Syntax::Json).unwrap()
}

/// The stored (internal id, ciphertext) of the example's OATH credential.
async fn oath_secret(store: &Store) -> (String, String) {
    let exported = fixtures::export(store).await.unwrap();
    let user = exported.users.iter().find(|u| u.ext_id == "jdoe").unwrap();
    let oath = user
        .credentials
        .iter()
        .find_map(|c| match c {
            CredentialFixture::Oath(t) => Some(t),
            _ => None,
        })
        .unwrap();
    (
        oath.common.internal_id.clone().unwrap(),
        oath.fields.secret.clone(),
    )
}

/// A SQLite store in a fresh file (for the cross-store round trip), and the file.
async fn sqlite_file() -> (Store, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!("idm-fixtures-{}.db", uuid::Uuid::new_v4()));
    let store = Store::connect(
        &format!("sqlite://{}", path.display()),
        PoolSettings::default(),
    )
    .await
    .unwrap();
    store.migrate().await.unwrap();
    (store, path)
}

async fn remove(store: Store, path: std::path::PathBuf) {
    store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// Changes the example's data through the API, so a round trip carries more than
/// the defaults: states, comments, login counters, a reset.
async fn use_the_api(app: &TestApp) {
    let root = app.root();
    app.patch(
        &user_path("acme", "jdoe", "password"),
        &root,
        json!({"stateName": "disabled", "modificationComment": "on leave"}),
    )
    .await
    .expect(200);
    app.post(
        &user_path("acme", "jdoe", "mtans/jdoe-phone"),
        &root,
        json!({"success": false}),
    )
    .await
    .expect(200);
    app.call(
        Method::POST,
        &user_path("acme", "jdoe", "ticket/reset"),
        Some(&root),
        None,
    )
    .await
    .expect(200);
}

both_stores! {
    /// The example fixture loads: the API serves its records, plaintext secrets are
    /// stored hashed, pre-hashed ones as given.
    async fn the_example_imports_and_the_api_serves_it(app) {
        let done = fixtures::import(&app.store, &app.secret_key, &example(), ACTOR).await.unwrap();
        assert_eq!(done, Imported { created: 1 + 6 + 2 + 7, unchanged: 0 });
        let root = app.root();
        let pw = app.get(&user_path("acme", "jdoe", "password"), &root).await.expect(200);
        assert_eq!(pw.body["stateName"], "active");
        assert_eq!(pw.body["policyExtId"], "default-PwdPolicy");
        let hash = pw.body["password"].as_str().unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert_eq!(password::verify("Fixture-Passw0rd", hash), Some(true));
        let ticket = app.get(&user_path("acme", "jdoe", "ticket"), &root).await.expect(200);
        assert!(ticket.body["ticket"].as_str().unwrap().starts_with("{SSHA256}"));
        assert!(!ticket.body.to_string().contains("fixture-ticket-value"));
        assert_eq!(ticket.body["identification"], "order-4711");
        let mtan = app.get(&user_path("acme", "jdoe", "mtans/jdoe-phone"), &root).await.expect(200);
        assert_eq!(mtan.body["mobileNumber"]["e164"], "+41791234567");
        let legacy = app.get(&user_path("acme", "asmith", "password"), &root).await.expect(200);
        assert_eq!(legacy.body["password"], "{SSHA256}I1kYslcMeuOK2Pnbx8kIly4djqKTZUqXKaXbOQ5dB0ZmaXh0dXJlLXNhbHQtMTIz");
        let user = app.get(&format!("{BASE}/acme/users/jdoe"), &root).await.expect(200);
        assert_eq!(user.body["contacts"]["mobile"], "+41791234567");
        assert_eq!(app.history_len("acme", "jdoe", "jdoe-password").await, 1);
        let signature = app.get(&user_path("acme", "jdoe", "mobile-signature"), &root).await.expect(200);
        assert_eq!(signature.body["msisdn"], "+41791234567");
        assert_eq!(signature.body["msspIdentifier"], "http://www.swisscom.ch", "the policy's default");
        assert!(signature.body["signerCert"].as_str().unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
        let authenticator = app.get(&user_path("acme", "jdoe", "oath-credentials/jdoe-authenticator"), &root).await.expect(200);
        assert_eq!(authenticator.body["label"], "jdoe@acme");
        assert_eq!(authenticator.body["issuer"], "ACME Corp");
        assert_eq!(authenticator.body["authenticationMethod"], "TOTP");
        assert!(!authenticator.body.to_string().contains(OATH_BASE32));
        let generic = app.get(&user_path("acme", "jdoe", "generic-credentials/jdoe-kerberos"), &root).await.expect(200);
        assert_eq!(generic.body["identification"], "jdoe@ACME.EXAMPLE");
        assert_eq!(generic.body["properties"], json!({"realm": "ACME.EXAMPLE"}));
        assert_eq!(generic.body["policyExtId"], "default-GenericCredentialPolicy");
    }

    /// The OATH secret is stored encrypted under the server key with the credential id
    /// as associated data, and the authenticator app holding the fixture's base32
    /// secret shows the codes the stored secret yields.
    async fn the_oath_secret_is_stored_encrypted_and_yields_the_same_codes(app) {
        fixtures::import(&app.store, &app.secret_key, &example(), ACTOR).await.unwrap();
        let (id, sealed) = oath_secret(&app.store).await;
        assert!(sealed.starts_with("v1:") && !sealed.contains(OATH_BASE32), "{sealed}");
        let opened = secret_box::open(&app.secret_key, &id, &sealed).unwrap();
        let given = totp_rs::Secret::try_from_base32(OATH_BASE32).unwrap().to_vec();
        assert_eq!(opened, given);
        assert!(secret_box::open(&app.secret_key, "another-id", &sealed).is_err());
        let settings = OathSettings {
            method: OtpMethod::Totp,
            algorithm: HashAlgorithm::Sha1,
            digits: 6,
            period: 30,
            issuer: Some("ACME Corp".into()),
        };
        let totp = |secret: &[u8]| {
            totp_rs::Totp::from_url(oath::provisioning_uri(&settings, "jdoe@acme", secret).unwrap()).unwrap()
        };
        for time in [59, 1_111_111_109, 2_000_000_000] {
            assert_eq!(totp(&opened).generate(time), totp(&given).generate(time), "at {time}");
        }
        // Importing the same plaintext again verifies it against the stored ciphertext.
        let again = fixtures::import(&app.store, &app.secret_key, &example(), ACTOR).await.unwrap();
        assert_eq!(again.created, 0);
        let other = edited(|doc| doc["users"][0]["credentials"][4]["secret"] = json!("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
        assert_eq!(
            refused(&app, &app.secret_key, &other).await,
            ["users[0].credentials[4].secret: conflict: differs from the stored secret"]
        );
    }

    /// Mobile signature and OATH fields are checked as their REST creates check them,
    /// each problem at its element's path.
    async fn mobile_signature_and_oath_fields_are_checked_like_rest_creates(app) {
        let fixture = edited(|doc| {
            let signature = &mut doc["users"][0]["credentials"][3];
            signature["signerCert"] = json!("not a certificate");
            signature["identificator"] = json!("");
            let oath = &mut doc["users"][0]["credentials"][4];
            oath["secret"] = json!("not base32!");
            oath["digits"] = json!(9);
            oath["label"] = json!("a:b:c");
        });
        let problems = refused(&app, &app.secret_key, &fixture).await;
        let expected = [
            "users[0].credentials[3].identificator: must not be empty",
            "users[0].credentials[3].signerCert: must start with -----BEGIN CERTIFICATE-----",
            "users[0].credentials[4].label: ",
            "users[0].credentials[4].digits: ",
            "users[0].credentials[4].secret: is neither base32 nor the stored ciphertext",
        ];
        for prefix in expected {
            assert!(problems.iter().any(|p| p.starts_with(prefix)), "{prefix} not in {problems:?}");
        }
        assert_eq!(problems.len(), expected.len(), "{problems:?}");
        // An `Issuer:account` label is read as on the REST create: its issuer must be the policy's.
        let fixture = edited(|doc| doc["users"][0]["credentials"][4]["label"] = json!("Other:jdoe"));
        let problems = refused(&app, &app.secret_key, &fixture).await;
        assert!(problems.len() == 1 && problems[0].starts_with("users[0].credentials[4].label: label's issuer"), "{problems:?}");

        let fixture = edited(|doc| {
            doc["users"][0]["credentials"][3]["msisdn"] = json!("+33612345678");
            doc["users"][0]["credentials"][4]["secret"] = json!("JBSWY3DPEHPK3PXP");
        });
        assert_eq!(refused(&app, &app.secret_key, &fixture).await, [
            "users[0].credentials[3]: msisdn \"+33612345678\" does not match the policy's validation.msisdn.regex",
            "users[0].credentials[4].secret: must be at least 128 bits",
        ]);
        let fixture = edited(|doc| {
            doc["policies"][3]["parameters"] = json!({});
        });
        assert_eq!(refused(&app, &app.secret_key, &fixture).await, [
            "users[0].credentials[3].msspIdentifier: is required: policy default-MobileSignaturePolicy has no defaultMsspIdentifier",
        ]);
        app.get(&format!("{BASE}/clients/acme"), &app.root()).await.expect_error(404, "errors.noRecord");
    }

    /// Importing the same file again changes nothing: every record is found identical,
    /// plaintext secrets are verified against the stored hashes, no history is written.
    async fn importing_twice_is_a_no_op(app) {
        fixtures::import(&app.store, &app.secret_key, &example(), ACTOR).await.unwrap();
        let before = export_text(&app.store).await;
        let again = fixtures::import(&app.store, &app.secret_key, &example(), ACTOR).await.unwrap();
        assert_eq!(again, Imported { created: 0, unchanged: 16 });
        assert_eq!(export_text(&app.store).await, before);
        assert_eq!(app.history_len("acme", "jdoe", "jdoe-ticket").await, 1);
    }

    /// A record that differs from the stored one is a conflict naming record and field;
    /// the new records of the same file are not written either.
    async fn a_conflict_names_the_field_and_writes_nothing(app) {
        fixtures::import(&app.store, &app.secret_key, &example(), ACTOR).await.unwrap();
        let fixture = edited(|doc| {
            doc["clients"].as_array_mut().unwrap().push(json!({"extId": "newco", "name": "New Co"}));
            doc["users"][0]["loginId"] = json!("john");
            doc["users"][0]["credentials"][0]["password"] = json!("Another-Passw0rd");
            doc["users"][0]["credentials"][2]["mobileNumber"] = json!("+41 78 765 43 21");
        });
        let problems = refused(&app, &app.secret_key, &fixture).await;
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("users[0].loginId: conflict: \"john\" differs from the stored \"jdoe\""), "{problems:?}");
        assert_eq!(problems[1], "users[0].credentials[0].password: conflict: differs from the stored secret");
        assert!(problems[2].starts_with("users[0].credentials[2].mobileNumber: conflict"), "{problems:?}");
        app.get(&format!("{BASE}/clients/newco"), &app.root()).await.expect_error(404, "errors.noRecord");
    }

    /// A second password for a user is refused (one per user), and so is a stored
    /// credential named under another internal id (its encrypted secrets are bound to it).
    async fn one_per_user_types_and_internal_ids_conflict(app) {
        fixtures::import(&app.store, &app.secret_key, &example(), ACTOR).await.unwrap();
        let fixture = edited(|doc| {
            doc["users"][0]["credentials"][0]["extId"] = json!("second-password");
            doc["users"][0]["credentials"][2]["internalId"] = json!("another-id");
        });
        let problems = refused(&app, &app.secret_key, &fixture).await;
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with(
            "users[0].credentials[0].type: user jdoe has a Password credential already (extId jdoe-password)"
        ), "{problems:?}");
        assert!(problems[1].starts_with("users[0].credentials[2].internalId: conflict: \"another-id\" differs"), "{problems:?}");
    }

    /// A bad fixture gets every problem at once, each at the path of its element, and
    /// nothing of it is imported.
    async fn bad_elements_are_named_by_path_and_nothing_is_imported(app) {
        let fixture = edited(|doc| {
            doc["users"][0]["credentials"][2]["mobileNumber"] = json!("079 123 45 67");
            doc["users"][0]["contacts"]["email"] = json!("not-an-address");
            doc["users"][1]["credentials"][0]["password"] = json!("$2b$12$tooshort");
            doc["users"][0]["credentials"][1]["validity"] = json!({"from": "yesterday", "to": "9999-12-31T23:59:59-23:59"});
            doc["policies"][4]["policyType"] = json!("FaxPolicy");
        });
        let problems = refused(&app, &app.secret_key, &fixture).await;
        let expected = [
            "policies[4].policyType: must be one of",
            "users[0].contacts.email: must be an email address",
            "users[0].credentials[1].validity.from: must be an RFC 3339 timestamp",
            "users[0].credentials[1].validity.to: must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z",
            "users[0].credentials[2].mobileNumber: not a valid E.164 number",
            "users[0].credentials[4].policyExtId: client acme has no default OathPolicy",
            "users[1].credentials[0].password: is not a valid bcrypt hash",
        ];
        for prefix in expected {
            assert!(problems.iter().any(|p| p.starts_with(prefix)), "{prefix} not in {problems:?}");
        }
        assert_eq!(problems.len(), expected.len(), "{problems:?}");
        app.get(&format!("{BASE}/clients/acme"), &app.root()).await.expect_error(404, "errors.noRecord");
    }

    /// A plaintext password must satisfy the policy, as on the REST API; a credential
    /// needs a policy of its type.
    async fn domain_rules_apply_to_fixtures(app) {
        let fixture = edited(|doc| {
            doc["users"][0]["credentials"][0]["password"] = json!("short");
            doc["users"][0]["credentials"][2]["policyExtId"] = json!("default-PwdPolicy");
        });
        let problems = refused(&app, &app.secret_key, &fixture).await;
        assert!(problems.contains(&"users[0].credentials[0].password: Password must be at least 10 characters long".to_owned()), "{problems:?}");
        assert!(problems.contains(&"users[0].credentials[2].policyExtId: policy default-PwdPolicy is a PwdPolicy, not a TANPolicy".to_owned()), "{problems:?}");
        let parse = |doc: Value| match fixtures::parse(&doc.to_string(), Syntax::Json) {
            Err(FixtureError::Invalid(p)) => p[0].to_string(),
            other => panic!("{other:?}"),
        };
        let mut doc: Value = serde_json::from_str(EXAMPLE).unwrap();
        doc["users"][1]["credentials"][0]["type"] = json!("mTan");
        assert!(parse(doc).starts_with("users[1].credentials[0].password: unknown field"));
    }

    /// Export writes what is stored, secrets as hashes; importing the export into an
    /// empty database gives the same export again.
    async fn export_then_import_round_trips(app) {
        fixtures::import(&app.store, &app.secret_key, &example(), ACTOR).await.unwrap();
        use_the_api(&app).await;
        let first = export_text(&app.store).await;
        assert!(!first.contains("Fixture-Passw0rd") && !first.contains("fixture-ticket-value"), "{first}");
        assert!(first.contains("\"stateName\": \"disabled\""));
        assert!(first.contains("\"failedLoginCount\": 1"));
        assert!(first.contains("\"internalId\""));
        app.delete(&format!("{BASE}/clients/acme"), &app.root()).await.expect(204);
        assert_eq!(fixtures::export(&app.store).await.unwrap(), Fixture::default());

        assert!(first.contains("\"type\": \"OATH\"") && first.contains("\"secret\": \"v1:"), "{first}");
        assert!(first.contains("\"type\": \"MobileSignature\""), "{first}");
        assert!(!first.contains(OATH_BASE32));

        let parsed = fixtures::parse(&first, Syntax::Json).unwrap();
        // The ciphertext opens only with the key and the internalId it was sealed with.
        let problems = refused(&app, &SecretKey([9; 32]), &parsed).await;
        assert!(problems.len() == 1 && problems[0].contains("].secret: the sealed secret does not decrypt"), "{problems:?}");
        let mut doc: Value = serde_json::from_str(&first).unwrap();
        for user in doc["users"].as_array_mut().unwrap() {
            for credential in user["credentials"].as_array_mut().unwrap() {
                credential.as_object_mut().unwrap().remove("internalId");
            }
        }
        let without_ids = fixtures::parse(&doc.to_string(), Syntax::Json).unwrap();
        let problems = refused(&app, &app.secret_key, &without_ids).await;
        assert!(problems.len() == 1 && problems[0].contains("].secret: the sealed secret does not decrypt"), "{problems:?}");

        fixtures::import(&app.store, &app.secret_key, &parsed, ACTOR).await.unwrap();
        assert_eq!(export_text(&app.store).await, first);
        let again = fixtures::import(&app.store, &app.secret_key, &parsed, ACTOR).await.unwrap();
        assert_eq!(again.created, 0);
    }

    /// YAML reads and writes like JSON.
    async fn yaml_fixtures_import_like_json(app) {
        let yaml = fixtures::render(&example(), Syntax::Yaml).unwrap();
        assert!(yaml.contains("extId: jdoe"), "{yaml}");
        let fixture = fixtures::parse(&yaml, Syntax::Yaml).unwrap();
        assert_eq!(fixture, example());
        fixtures::import(&app.store, &app.secret_key, &fixture, ACTOR).await.unwrap();
        app.get(&user_path("acme", "jdoe", "ticket"), &app.root()).await.expect(200);
    }
}

/// Export from SQLite, import into PostgreSQL: the second export is the same text, and
/// back again into a fresh SQLite.
#[sqlx::test(migrations = false)]
async fn round_trip_across_stores(pool: sqlx::PgPool) {
    let (first_store, first_file) = sqlite_file().await;
    let sqlite = TestApp::new(first_store).await;
    // Both servers share one IDM_SECRET_KEY, as the README asks for moving OATH secrets.
    let key = &sqlite.secret_key;
    fixtures::import(&sqlite.store, key, &example(), ACTOR)
        .await
        .unwrap();
    use_the_api(&sqlite).await;
    let from_sqlite = export_text(&sqlite.store).await;

    let postgres = TestApp::new(Store::from(pool)).await;
    let parsed = fixtures::parse(&from_sqlite, Syntax::Json).unwrap();
    fixtures::import(&postgres.store, key, &parsed, ACTOR)
        .await
        .unwrap();
    let from_postgres = export_text(&postgres.store).await;
    assert_eq!(from_postgres, from_sqlite);
    for path in [
        "password",
        "mobile-signature",
        "oath-credentials/jdoe-authenticator",
    ] {
        postgres
            .get(&user_path("acme", "jdoe", path), &postgres.root())
            .await
            .expect(200);
    }
    let (id, sealed) = oath_secret(&postgres.store).await;
    let opened = secret_box::open(key, &id, &sealed).unwrap();
    assert_eq!(
        opened,
        totp_rs::Secret::try_from_base32(OATH_BASE32)
            .unwrap()
            .to_vec()
    );

    let (back, back_file) = sqlite_file().await;
    fixtures::import(
        &back,
        key,
        &fixtures::parse(&from_postgres, Syntax::Json).unwrap(),
        ACTOR,
    )
    .await
    .unwrap();
    assert_eq!(export_text(&back).await, from_sqlite);
    remove(back, back_file).await;
    remove(sqlite.store.clone(), first_file).await;
}

/// On SQLite an import waits for another writer instead of failing: its transaction takes
/// the write lock before its first read. (A transaction that has read and then writes
/// gets "database is locked" at once while another connection writes: SQLite's busy
/// handler only waits for a transaction that holds no snapshot yet. An import right
/// after refused ones, whose rollbacks were still running, failed that way in CI.)
#[tokio::test]
async fn sqlite_import_waits_for_another_writer() {
    use sqlx::Connection;
    let (store, path) = sqlite_file().await;
    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let writer = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        sqlx::query("COMMIT").execute(&mut other).await.unwrap();
        other.close().await.unwrap();
    });
    let imported = fixtures::import(&store, &SecretKey([7; 32]), &example(), ACTOR).await;
    writer.await.unwrap();
    assert!(imported.unwrap().created > 0);
    remove(store, path).await;
}
