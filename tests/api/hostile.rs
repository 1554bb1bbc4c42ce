//! Hostile input on every operation of `world::operations()`: each request gets the
//! status and code of decisions.md's error table, never a 5xx, and changes nothing
//! (the whole stored state is compared before and after each operation's batch).

use axum::body::Body;
use axum::http::{Method, Request};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value, json};

use crate::support::{Reply, TestApp, user_path};
use crate::world::{Need, Op, assert_unchanged, fingerprint, in_error_table, operations, populate};

const SQL: &str = "'; DROP TABLE credentials; --";
const INVALID: &[&str] = &["errors.invalidData"];
/// A wrong value for a field the resource shows read-only is a change of it.
const INVALID_OR_READONLY: &[&str] = &["errors.invalidData", "errors.modifyReadonlyData"];

fn raw(
    method: &Method,
    path: &str,
    token: &str,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method.clone())
        .uri(path)
        .header("authorization", format!("Bearer {token}"));
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    builder.body(body.into()).unwrap()
}

/// Sends `request` and checks that the answer is `status` with `code`, in the error table.
async fn expect(
    app: &TestApp,
    request: Request<Body>,
    status: &[u16],
    codes: &[&str],
    what: &str,
) -> Reply {
    let reply = app.send(request).await;
    let got = reply.status.as_u16();
    assert!(got < 500, "{what}: {got} {}", reply.body);
    assert!(
        status.contains(&got),
        "{what}: expected {status:?}, got {got} {}",
        reply.body
    );
    assert!(
        codes.contains(&reply.code()),
        "{what}: expected {codes:?}: {}",
        reply.body
    );
    assert!(
        in_error_table(got, reply.code()),
        "{what}: ({got}, {}) is not in the error table",
        reply.code()
    );
    reply
}

/// Percent-encodes everything but unreserved characters, so the value reaches the router
/// as one path segment.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Path segments that must be rejected (400) or found to name nothing (404), for a
/// parameter whose real value is `real`. `_` and `%` would match `real` if any query
/// used LIKE.
fn hostile_ids(real: &str) -> Vec<(String, u16)> {
    let cut = &real[..real.len() - 1];
    vec![
        (encode(SQL), 404),
        (format!("{cut}_"), 404),
        (format!("{cut}%25"), 404),
        ("%25".into(), 404),
        ("_".into(), 404),
        (format!("{real}%00"), 400),
        ("%00".into(), 400),
        ("..".into(), 400),
        ("%2E%2E".into(), 400),
        (format!("{real}%2F..%2F{real}"), 400),
        ("%2F".into(), 400),
        ("%FF%FE".into(), 400),
        // http::Uri stops at 64 KiB; 1 MB ids are sent in bodies.
        ("a".repeat(60_000), 400),
    ]
}

/// Top-level and field values of the wrong JSON type for a field holding `sample`.
fn wrong_types(sample: &Value) -> Vec<Value> {
    let all = [
        json!(7),
        json!(1.5),
        json!(true),
        json!([]),
        json!(["x"]),
        json!({}),
        json!("text"),
    ];
    all.into_iter()
        .filter(|v| {
            std::mem::discriminant(v) != std::mem::discriminant(sample)
                || (v.is_number() && sample.is_number() && v.is_f64() != sample.is_f64())
        })
        .collect()
}

/// What is sent, its content type, the bytes, and the status and codes it must get.
type BodyCase = (
    &'static str,
    Option<&'static str>,
    Vec<u8>,
    u16,
    &'static [&'static str],
);

/// Bodies the server must refuse for any operation that takes one, with the status.
fn hostile_bodies(valid: &Value) -> Vec<BodyCase> {
    let ok = valid.to_string();
    let with = |key: &str, value: Value| {
        let mut body = valid.clone();
        body[key] = value;
        body.to_string().into_bytes()
    };
    let json = Some("application/json");
    let deep_arrays = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_objects = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let deep_field = format!(
        "{{\"modificationComment\":{}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let mut invalid_utf8 = br#"{"modificationComment":""#.to_vec();
    invalid_utf8.extend([0xff, 0xfe, 0xc3]);
    invalid_utf8.extend(br#""}"#);
    vec![
        (
            "truncated JSON",
            json,
            b"{\"stateName\": ".to_vec(),
            400,
            INVALID,
        ),
        (
            "trailing garbage",
            json,
            format!("{ok} x").into_bytes(),
            400,
            INVALID,
        ),
        (
            "single quotes",
            json,
            b"{'stateName': 'active'}".to_vec(),
            400,
            INVALID,
        ),
        ("invalid UTF-8", json, invalid_utf8, 400, INVALID),
        (
            "a lone surrogate escape",
            json,
            br#"{"modificationComment":"\ud800"}"#.to_vec(),
            400,
            INVALID,
        ),
        (
            "10k nested arrays",
            json,
            deep_arrays.into_bytes(),
            400,
            INVALID,
        ),
        (
            "10k nested objects",
            json,
            deep_objects.into_bytes(),
            400,
            INVALID,
        ),
        (
            "10k nested arrays in a field",
            json,
            deep_field.into_bytes(),
            400,
            INVALID,
        ),
        ("a top-level array", json, b"[]".to_vec(), 422, INVALID),
        ("a top-level string", json, b"\"x\"".to_vec(), 422, INVALID),
        ("a top-level number", json, b"1".to_vec(), 422, INVALID),
        ("top-level null", json, b"null".to_vec(), 422, INVALID),
        (
            "an unknown field",
            json,
            with("bogusField", json!(1)),
            422,
            INVALID,
        ),
        (
            "an unknown SQL field",
            json,
            with(SQL, json!(SQL)),
            422,
            INVALID,
        ),
        (
            "a NUL byte in the comment",
            json,
            with("modificationComment", json!("a\u{0}b")),
            422,
            INVALID,
        ),
        (
            "a NUL byte in a key",
            json,
            with("modification\u{0}Comment", json!("x")),
            422,
            INVALID,
        ),
        (
            "a NUL byte in the extId",
            json,
            with("extId", json!("x\u{0}y")),
            422,
            INVALID_OR_READONLY,
        ),
        (
            "a 60 KB comment",
            json,
            with("modificationComment", json!("c".repeat(60_000))),
            422,
            INVALID,
        ),
        (
            "a 1 MB comment",
            json,
            with("modificationComment", json!("c".repeat(1 << 20))),
            413,
            INVALID,
        ),
        (
            "a 1 MB extId",
            json,
            with("extId", json!("e".repeat(1 << 20))),
            413,
            INVALID,
        ),
        (
            "1 MB of whitespace",
            json,
            format!("{ok}{}", " ".repeat(1 << 20)).into_bytes(),
            413,
            INVALID,
        ),
        (
            "text/plain",
            Some("text/plain"),
            ok.clone().into_bytes(),
            415,
            INVALID,
        ),
        (
            "a form",
            Some("application/x-www-form-urlencoded"),
            b"stateName=active".to_vec(),
            415,
            INVALID,
        ),
        (
            "multipart",
            Some("multipart/form-data; boundary=x"),
            ok.clone().into_bytes(),
            415,
            INVALID,
        ),
        (
            "application/jsonx",
            Some("application/jsonx"),
            ok.clone().into_bytes(),
            415,
            INVALID,
        ),
        (
            "application/json-patch+json",
            Some("application/json-patch+json"),
            b"[]".to_vec(),
            415,
            INVALID,
        ),
        ("no content type", None, ok.into_bytes(), 415, INVALID),
    ]
}

/// Each operation's known body fields with a sample of their type, for wrong-type probes.
fn typed_fields(op: &Op) -> Vec<(&'static str, Value)> {
    let t = op.template;
    let mut fields = vec![("extId", json!("x"))];
    let credential = t.contains("/users/{userExtId}/");
    if credential {
        fields.extend([
            ("stateName", json!("active")),
            ("modificationComment", json!("x")),
            ("policyExtId", json!("p")),
        ]);
        if op.method == Method::PATCH {
            fields.push(("version", json!(1)));
        }
    }
    if t.ends_with("/password") {
        fields.push(("password", json!("x")));
    }
    if t.ends_with("/ticket") {
        fields.extend([
            ("identification", json!("x")),
            ("validity", json!({})),
            ("context", json!("x")),
        ]);
    }
    if t.contains("/mtans") && !t.ends_with("/mtans/{extId}")
        || t.ends_with("/mtans/{extId}") && op.method == Method::PATCH
    {
        fields.push(("mobileNumber", json!("+41791234567")));
    }
    if t.ends_with("/mtans/{extId}") && op.method == Method::POST {
        fields = vec![("success", json!(true))];
    }
    if t.contains("/oath-credentials") {
        fields.push(("label", json!("x")));
    }
    if t.contains("/generic-credentials") {
        fields.extend([("identification", json!("x")), ("validity", json!({}))]);
        if op.method == Method::POST {
            fields.push(("properties", json!({})));
        }
    }
    // A properties body holds only property values: strings (or null to remove).
    if t.ends_with("/properties") {
        fields = vec![("team", json!("x"))];
    }
    if t.ends_with("/mobile-signature") {
        fields.extend([
            ("identificator", json!("x")),
            ("msisdn", json!("x")),
            ("msspIdentifier", json!("x")),
            ("signerCert", json!("x")),
        ]);
    }
    if t.ends_with("/users") {
        fields.extend([
            ("loginId", json!("x")),
            ("name", json!({})),
            ("languageCode", json!("x")),
            ("isTechnicalUser", json!(true)),
        ]);
    }
    if t.contains("/policies") {
        fields.extend([
            ("name", json!("x")),
            ("parameters", json!({})),
            ("defaultPolicy", json!(true)),
        ]);
        if op.method == Method::POST {
            fields.push(("policyType", json!("TicketPolicy")));
        }
    }
    if t.ends_with("/clients") {
        fields.push(("name", json!("x")));
    }
    if t.ends_with("/reset") {
        fields.clear();
    }
    if op.takes_form() {
        fields.extend([
            ("username", json!("x")),
            ("password", json!("x")),
            ("grant_type", json!("password")),
        ]);
    }
    fields
}

/// Creates that would succeed with a valid body go to user `mary`, who holds nothing, so
/// a one-per-user type's "exists" check cannot hide the answer to a bad field.
fn body_target(op: &Op) -> String {
    let one_per_user = ["/mobile-signature", "/password", "/ticket"];
    if op.method == Method::POST && one_per_user.iter().any(|t| op.template.ends_with(t)) {
        op.path_with(&|name, real| {
            if name == "userExtId" {
                "mary".into()
            } else {
                real.into()
            }
        })
    } else {
        op.path()
    }
}

both_stores! {
    /// Path parameters with SQL, LIKE wildcards, NUL, `..`, `/` and 1 MB: 400 or 404.
    async fn hostile_path_ids(app) {
        populate(&app).await;
        let root = app.root();
        let mut cases = 0;
        for op in operations() {
            let before = fingerprint(&app).await;
            for (name, real) in op.params() {
                for (bad, status) in hostile_ids(real) {
                    let path = op.path_with(&|n, r| if n == name { bad.clone() } else { r.to_owned() });
                    let body = op.body.map(|b| b().to_string()).unwrap_or_default();
                    let ct = op.takes_body().then_some("application/json");
                    let what = format!("{} with {name}={}", op.name(), &bad[..bad.len().min(40)]);
                    let code = if status == 400 { "errors.invalidData" } else { "errors.noRecord" };
                    expect(&app, raw(&op.method, &path, &root, ct, body), &[status], &[code], &what).await;
                    cases += 1;
                }
            }
            assert_unchanged(&before, &fingerprint(&app).await, &op.name());
        }
        assert!(cases > 400, "{cases}");
        println!("hostile path ids: {cases} cases");
    }

    /// Malformed, deep, oversized, NUL-carrying, mistyped and unknown-field bodies.
    async fn hostile_bodies_on_every_write(app) {
        populate(&app).await;
        let root = app.root();
        let mut cases = 0;
        let own = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
        for op in operations().into_iter().filter(|op| op.takes_body()) {
            let before = fingerprint(&app).await;
            let valid = op.body.map(|b| b()).unwrap_or_default();
            let path = body_target(&op);
            // The principal API's token request is the SelfAdmin's own, and takes a form.
            let root = if op.need == Need::SelfAdminRole { &own } else { &root };
            for (what, ct, bytes, status, code) in hostile_bodies(&valid) {
                // A properties body is a map of any names to strings: a name full of SQL
                // is a property like any other (data, stored verbatim), not an unknown field.
                if op.template.ends_with("/properties") && what == "an unknown SQL field" {
                    continue;
                }
                let form = ct == Some("application/x-www-form-urlencoded");
                let status = if form && op.takes_form() { 422 } else { status };
                let what = format!("{} with {what}", op.name());
                expect(&app, raw(&op.method, &path, root, ct, bytes), &[status], code, &what).await;
                cases += 1;
            }
            for (field, sample) in typed_fields(&op) {
                for wrong in wrong_types(&sample) {
                    let mut body = valid.clone();
                    body[field] = wrong.clone();
                    let what = format!("{} with {field} = {wrong}", op.name());
                    let request = raw(&op.method, &path, root, Some("application/json"), body.to_string());
                    expect(&app, request, &[422], INVALID_OR_READONLY, &what).await;
                    cases += 1;
                }
            }
            assert_unchanged(&before, &fingerprint(&app).await, &op.name());
        }
        assert!(cases > 600, "{cases}");
        println!("hostile bodies: {cases} cases");
    }

    /// SQL metacharacters are data: stored and read back verbatim, and every table is
    /// still there afterwards.
    async fn sql_metacharacters_are_data(app) {
        populate(&app).await;
        let root = app.root();
        let list = user_path("acme", "jdoe", "mtans");
        for ext in [SQL, "%", "_", "m-%", "m_1", "a'b\"c\\d"] {
            let body = json!({"extId": ext, "mobileNumber": "+41791234567"});
            let created = app.post(&list, &root, body).await.expect(201);
            assert_eq!(created.body["extId"], ext);
            let path = format!("{list}/{}", encode(ext));
            app.patch(&path, &root, json!({"modificationComment": SQL})).await.expect(200);
            let read = app.get(&path, &root).await.expect(200);
            assert_eq!(read.body["extId"], ext);
            assert_eq!(read.body["modificationComment"], SQL);
        }
        // `m_1` and `m-%` did not touch `m-1`.
        let m1 = app.get(&format!("{list}/m-1"), &root).await.expect(200);
        assert_eq!(m1.body["version"], 1);
        let before = fingerprint(&app).await;
        let path = user_path("acme", "jdoe", "ticket");
        app.patch(&path, &root, json!({"policyExtId": SQL})).await.expect_error(422, "errors.missingReferenceData");
        app.patch(&path, &root, json!({"stateName": SQL})).await.expect_error(422, "errors.invalidData");
        assert_unchanged(&before, &fingerprint(&app).await, "SQL in fields");
        let users = app.post(&format!("{}/acme/users", crate::support::BASE), &root, json!({"loginId": SQL})).await.expect(201);
        assert_eq!(users.body["loginId"], SQL);
    }

    /// Property: any JSON object as a PATCH body (known fields with random values, unknown
    /// keys) gets 200 or a 4xx of the error table; a 4xx leaves the credential as it was,
    /// and sending a body that got 200 again changes nothing (merge patch is idempotent).
    async fn patch_bodies_property(app) {
        populate(&app).await;
        let root = app.root();
        let targets = ["password", "ticket", "mtans/m-1", "oath-credentials/o-1", "mobile-signature"];
        // A fixed-seed runner drives the generator from inside the async test (no nested
        // runtime); failures print the body, which is the reproducer.
        let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::deterministic_rng(RngAlgorithm::ChaCha));
        let strategy = patch_body();
        let (mut ok, mut rejected) = (0, 0);
        for case in 0..CASES {
            let target = targets[case % targets.len()];
            let path = user_path("acme", "jdoe", target);
            let body = strategy.new_tree(&mut runner).unwrap().current();
            let before = credential_state(&app, &path, &root).await;
            let first = app.patch(&path, &root, body.clone()).await;
            let status = first.status.as_u16();
            assert!(status == 200 || in_error_table(status, first.code()), "{path} {body}: {status} {}", first.body);
            let after = credential_state(&app, &path, &root).await;
            if status != 200 {
                assert_eq!(before, after, "{path} {body}: {status} changed the credential");
                rejected += 1;
                continue;
            }
            ok += 1;
            let again = app.patch(&path, &root, body.clone()).await;
            let status = again.status.as_u16();
            assert!(status == 200 || (status == 409 && again.code() == "errors.optimisticLockingFailure"),
                "{path} {body}: again {status} {}", again.body);
            assert_eq!(after, credential_state(&app, &path, &root).await, "{path} {body}: not idempotent");
        }
        assert!(ok >= CASES / 20 && rejected >= CASES / 4, "ok {ok} rejected {rejected}");
        println!("PATCH property: {CASES} cases, {ok} accepted, {rejected} rejected");
    }
}

const CASES: usize = 250;

async fn credential_state(app: &TestApp, path: &str, root: &str) -> Value {
    let view = app.get(path, root).await.expect(200).body;
    let ext = view["extId"].as_str().unwrap().to_owned();
    let history = app.history_len("acme", "jdoe", &ext).await;
    json!({"view": view, "history": history})
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn timestamp() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        (2000i32..2040, 1u32..13).prop_map(|(y, m)| json!(format!("{y}-{m:02}-01T00:00:00Z"))),
        any_json(),
    ]
}

/// A value that is plausible for `field` most of the time and anything at all otherwise.
fn field_value(field: &'static str) -> BoxedStrategy<Value> {
    let plausible: BoxedStrategy<Value> = match field {
        "stateName" => prop::sample::select(vec![
            "active",
            "initial",
            "disabled",
            "tmp-locked",
            "fail-locked",
            "inactive",
            "Active",
            "",
        ])
        .prop_map(Value::from)
        .boxed(),
        "version" => (0i64..6).prop_map(Value::from).boxed(),
        "mobileNumber" | "msisdn" => {
            prop::sample::select(vec!["+41791234567", "+41791234568", "0791234567", "+1"])
                .prop_map(Value::from)
                .boxed()
        }
        "policyExtId" => {
            prop::sample::select(vec![json!(null), json!("p-1"), json!("nope")]).boxed()
        }
        "validity" => (timestamp(), timestamp())
            .prop_map(|(from, to)| json!({"from": from, "to": to}))
            .boxed(),
        _ => prop_oneof![Just(Value::Null), "[ -~]{0,20}".prop_map(Value::from)].boxed(),
    };
    prop_oneof![4 => plausible, 1 => any_json()].boxed()
}

const KNOWN: &[&str] = &[
    "stateName",
    "modificationComment",
    "version",
    "policyExtId",
    "validity",
    "identification",
    "mobileNumber",
    "label",
    "msisdn",
    "identificator",
    "msspIdentifier",
    "signerCert",
];

fn patch_body() -> impl Strategy<Value = Value> {
    let known = prop::sample::subsequence(KNOWN.to_vec(), 0..4).prop_flat_map(|fields| {
        fields
            .into_iter()
            .map(|f| field_value(f).prop_map(move |v| (f.to_owned(), v)))
            .collect::<Vec<_>>()
    });
    let unknown = prop::collection::vec(("[a-zA-Z]{1,8}", any_json()), 0..2);
    (known, unknown, prop::bool::weighted(0.7)).prop_map(|(known, unknown, only_known)| {
        let mut body = Map::new();
        body.extend(known);
        if !only_known {
            body.extend(unknown);
        }
        Value::Object(body)
    })
}
