//! The authorization matrix: every operation of `world::operations()` (pinned to the
//! OpenAPI document, so a new route cannot escape) against every way a caller can be
//! wrong, on both stores. Each wrong caller gets 401 (with a Bearer challenge) or 403 and
//! changes nothing; the permissions the table lists are exactly enough.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idm_credentials::auth::jwt::expiry_in;
use idm_credentials::auth::{Claims, Keys};
use serde_json::{Value, json};

use crate::support::{Reply, SECRET, TestApp};
use crate::world::{Need, Op, SelfMode, assert_unchanged, fingerprint, operations, populate};

const ISSUER: &str = "https://idp.example.com";
const AUDIENCE: &str = "idm-credentials";

fn claims(sub: &str, roles: &[&str], permissions: &[&str], client: Option<&str>) -> Claims {
    Claims {
        sub: sub.into(),
        exp: expiry_in(Duration::from_secs(3600)),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        permissions: permissions.iter().map(|p| p.to_string()).collect(),
        client_ext_id: client.map(str::to_owned),
        ..Claims::default()
    }
}

fn sign(claims: &Claims) -> String {
    Keys::new(SECRET.as_bytes()).mint(claims).unwrap()
}

/// `claims` with the issuer and audience the configured router requires.
fn scoped(mut claims: Claims) -> Claims {
    claims.iss = Some(ISSUER.into());
    claims.aud = Some(AUDIENCE.into());
    claims
}

fn unsigned(claims: &Claims) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    format!("{header}.{payload}.")
}

/// An X-Token for `sub` in client acme; expired when `ttl_secs` is negative. `scoped`:
/// with the issuer and audience the configured router requires.
fn x_token(sub: &str, ttl_secs: i64) -> String {
    let keys = Keys::new(SECRET.as_bytes());
    if ttl_secs < 0 {
        let mut c = claims(sub, &[], &[], Some("acme"));
        c.exp = 1_000_000;
        c.nbf = Some(999_000);
        c.token_use = Some("x-token".into());
        return sign(&c);
    }
    keys.mint_x_token("acme", sub).unwrap()
}

/// An X-Token for `sub` in client acme, for the router that requires issuer and audience.
fn scoped_x_token(sub: &str) -> String {
    Keys::new(SECRET.as_bytes())
        .with_issuer(Some(ISSUER.into()))
        .with_audience(Some(AUDIENCE.into()))
        .mint_x_token("acme", sub)
        .unwrap()
}

fn request(op: &Op, token: Option<&str>, x_token: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().method(op.method.clone()).uri(op.path());
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    if let Some(x) = x_token {
        builder = builder.header("x-token", x);
    }
    match op.body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(Body::from(body().to_string())),
        None => builder.body(Body::empty()),
    }
    .unwrap()
}

#[track_caller]
fn assert_denied(reply: &Reply, status: u16, what: &str) {
    assert_eq!(reply.status.as_u16(), status, "{what}: {}", reply.body);
    if status == 401 {
        assert_eq!(reply.code(), "errors.unauthenticated", "{what}");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{what}");
    } else {
        assert_eq!(reply.code(), "errors.permissionDenied", "{what}");
    }
}

/// `gone`: an earlier allowed caller already deleted the resource, so 404 is right.
#[track_caller]
fn assert_allowed(reply: &Reply, gone: bool, what: &str) {
    let status = reply.status.as_u16();
    assert!(
        !matches!(status, 401 | 403 | 405) && status < 500 && (gone || status != 404),
        "{what}: {status} {}",
        reply.body
    );
}

/// The wrong callers of one operation: (description, bearer, X-Token, expected status).
fn wrong_callers(op: &Op) -> Vec<(String, Option<String>, Option<String>, u16)> {
    let root = claims("root", &["nevisIdm.Root"], &[], None);
    let mut expired = root.clone();
    expired.exp = 1_000_000;
    let foreign = Keys::new(b"another-server-secret-0123456789abcdef")
        .mint(&root)
        .unwrap();
    let mut cases = vec![
        ("no token".to_owned(), None, None, 401),
        ("garbage token".into(), Some("not.a.jwt".into()), None, 401),
        ("expired token".into(), Some(sign(&expired)), None, 401),
        ("wrong signature".into(), Some(foreign), None, 401),
        ("alg none".into(), Some(unsigned(&root)), None, 401),
        (
            "an X-Token as Bearer".into(),
            Some(x_token("jdoe", 60)),
            None,
            401,
        ),
    ];
    let in_path_client = matches!(op.need, Need::Root | Need::Permissions(..));
    if in_path_client {
        cases.extend([
            (
                "other client".into(),
                Some(sign(&claims(
                    "x",
                    &["nevisIdm.ClientRoot"],
                    &[],
                    Some("globex"),
                ))),
                None,
                403,
            ),
            (
                "self-admin on another user".into(),
                Some(sign(&claims(
                    "mary",
                    &["nevisIdm.SelfAdmin"],
                    &[],
                    Some("acme"),
                ))),
                Some(x_token("mary", 60)),
                403,
            ),
        ]);
    }
    match op.need {
        Need::Public => unreachable!(),
        Need::AnyToken => {}
        Need::SelfAdminRole => cases.push((
            "ClientRoot without the SelfAdmin role".into(),
            Some(sign(&claims(
                "jdoe",
                &["nevisIdm.ClientRoot"],
                &[],
                Some("acme"),
            ))),
            None,
            403,
        )),
        Need::Root => cases.push((
            "ClientRoot of its own client".into(),
            Some(sign(&claims(
                "x",
                &["nevisIdm.ClientRoot"],
                &[],
                Some("acme"),
            ))),
            None,
            403,
        )),
        Need::Permissions(permissions, mode) => {
            for missing in permissions {
                let rest: Vec<&str> = permissions
                    .iter()
                    .copied()
                    .filter(|p| p != missing)
                    .collect();
                cases.push((
                    format!("without {missing}"),
                    Some(sign(&claims("svc", &[], &rest, Some("acme")))),
                    None,
                    403,
                ));
            }
            let own = sign(&claims("jdoe", &["nevisIdm.SelfAdmin"], &[], Some("acme")));
            match mode {
                SelfMode::Denied => cases.push((
                    "self-admin where not allowed".into(),
                    Some(own),
                    Some(x_token("jdoe", 60)),
                    403,
                )),
                SelfMode::Allowed => {}
                SelfMode::WithXToken => {
                    cases.push((
                        "self-admin without X-Token".into(),
                        Some(own.clone()),
                        None,
                        401,
                    ));
                    cases.push((
                        "self-admin with another user's X-Token".into(),
                        Some(own.clone()),
                        Some(x_token("mary", 60)),
                        401,
                    ));
                    cases.push((
                        "self-admin with an expired X-Token".into(),
                        Some(own.clone()),
                        Some(x_token("jdoe", -1)),
                        401,
                    ));
                    cases.push((
                        "self-admin with a garbage X-Token".into(),
                        Some(own),
                        Some("garbage".into()),
                        401,
                    ));
                }
            }
        }
    }
    cases
}

/// The callers the table says are enough: (description, bearer, X-Token). Tokens carry
/// the issuer and audience, as the router that requires them is the one they are sent to.
fn right_callers(op: &Op) -> Vec<(&'static str, Option<String>, Option<String>)> {
    match op.need {
        Need::Public => vec![("no token", None, None)],
        Need::Root => vec![(
            "Root",
            Some(sign(&scoped(claims("root", &["nevisIdm.Root"], &[], None)))),
            None,
        )],
        Need::SelfAdminRole => vec![(
            "self-admin",
            Some(sign(&scoped(claims(
                "jdoe",
                &["nevisIdm.SelfAdmin"],
                &[],
                Some("acme"),
            )))),
            None,
        )],
        Need::AnyToken => vec![(
            "a token that grants nothing",
            Some(sign(&scoped(claims("x", &[], &[], Some("acme"))))),
            None,
        )],
        Need::Permissions(permissions, mode) => {
            let own = Some(sign(&scoped(claims(
                "jdoe",
                &["nevisIdm.SelfAdmin"],
                &[],
                Some("acme"),
            ))));
            let admin = Some(sign(&scoped(claims("svc", &[], permissions, Some("acme")))));
            let mut callers = Vec::new();
            match mode {
                SelfMode::Denied => {}
                SelfMode::Allowed => callers.push(("self-admin", own, None)),
                SelfMode::WithXToken => {
                    callers.push(("self-admin with X-Token", own, Some(scoped_x_token("jdoe"))))
                }
            }
            callers.push(("exactly the listed permissions", admin, None));
            callers
        }
    }
}

/// Tokens the configured router (issuer and audience required) must refuse, though they
/// are Root and correctly signed.
fn unscoped_tokens() -> Vec<(&'static str, String)> {
    let root = claims("root", &["nevisIdm.Root"], &[], None);
    let mut wrong_issuer = scoped(root.clone());
    wrong_issuer.iss = Some("https://evil.example.com".into());
    let mut wrong_audience = scoped(root.clone());
    wrong_audience.aud = Some("another-api".into());
    let mut no_audience = scoped(root.clone());
    no_audience.aud = None;
    vec![
        ("no issuer or audience", sign(&root)),
        ("wrong issuer", sign(&wrong_issuer)),
        ("wrong audience", sign(&wrong_audience)),
        ("no audience", sign(&no_audience)),
    ]
}

/// The same application with `iss` and `aud` required.
fn with_issuer_and_audience(app: &TestApp) -> TestApp {
    let mut state = app.state.clone();
    state.keys = Arc::new(
        Keys::new(SECRET.as_bytes())
            .with_issuer(Some(ISSUER.into()))
            .with_audience(Some(AUDIENCE.into())),
    );
    app.sibling(state)
}

fn document_operations() -> BTreeSet<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/idm-credentials.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("{path}: {e} (the OpenAPI document is generated by the server; see README)")
    });
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ] {
            if item.get(method).is_some() {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

#[test]
fn the_table_is_the_api_document() {
    let table: BTreeSet<(String, String)> = operations()
        .iter()
        .map(|op| (op.method.to_string(), op.template.to_owned()))
        .collect();
    let document = document_operations();
    let missing: Vec<_> = document.difference(&table).collect();
    let extra: Vec<_> = table.difference(&document).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "operations in the API document but not in world::operations(): {missing:?}; \
         in the table but not in the document: {extra:?}"
    );
}

#[test]
fn the_table_names_each_operation_once() {
    let ops = operations();
    let names: BTreeSet<String> = ops.iter().map(Op::name).collect();
    assert_eq!(names.len(), ops.len());
}

both_stores! {
    /// Every operation x every wrong caller: 401 + challenge or 403, and no change; then
    /// the callers the table lists get through (so each listed permission is needed and
    /// together they are enough).
    async fn authorization_matrix(app) {
        populate(&app).await;
        let scoped_app = with_issuer_and_audience(&app);
        let mut denied = 0;
        for op in operations().iter().filter(|op| op.need != Need::Public) {
            let before = fingerprint(&app).await;
            for (what, token, x, status) in wrong_callers(op) {
                let reply = app.send(request(op, token.as_deref(), x.as_deref())).await;
                assert_denied(&reply, status, &format!("{} by {what}", op.name()));
                denied += 1;
            }
            for (what, token) in unscoped_tokens() {
                let reply = scoped_app.send(request(op, Some(&token), None)).await;
                assert_denied(&reply, 401, &format!("{} with {what} where both are required", op.name()));
                denied += 1;
            }
            assert_unchanged(&before, &fingerprint(&app).await, &op.name());
        }
        let mut allowed = 0;
        for op in operations() {
            for (index, (what, token, x)) in right_callers(&op).into_iter().enumerate() {
                let reply = scoped_app.send(request(&op, token.as_deref(), x.as_deref())).await;
                let gone = index > 0 && op.method == Method::DELETE;
                assert_allowed(&reply, gone, &format!("{} by {what}", op.name()));
                allowed += 1;
            }
        }
        assert!(denied > 500 && allowed > 40, "{denied} {allowed}");
        println!("authorization matrix: {denied} denied, {allowed} allowed");
    }

    /// A route that is not in the table (an unknown method on a known path) is 405, not
    /// an unguarded success.
    async fn unlisted_methods_are_405(app) {
        populate(&app).await;
        let root = app.root();
        let before = fingerprint(&app).await;
        let ops = operations();
        let templates: BTreeSet<&str> = ops.iter().map(|op| op.template).filter(|t| t.starts_with(crate::support::BASE)).collect();
        for template in templates {
            let probe = Op { method: Method::GET, template, need: Need::Public, body: None };
            for method in [Method::GET, Method::POST, Method::PATCH, Method::DELETE, Method::PUT] {
                if ops.iter().any(|op| op.template == template && op.method == method) {
                    continue;
                }
                let reply = app.send(crate::support::request(method.clone(), &probe.path(), &root, &[], Some(json!({})))).await;
                assert_eq!(reply.status.as_u16(), 405, "{method} {template}: {}", reply.body);
            }
        }
        assert_unchanged(&before, &fingerprint(&app).await, "unlisted methods");
    }
}
