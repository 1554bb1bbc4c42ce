//! The OpenAPI document: the checked-in copy is current, it names every route the
//! router serves and nothing else, real responses validate against it, and the server
//! accepts every request field it documents.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Method, Request};
use idm_credentials::api;
use idm_credentials::app::{self, Limits};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use crate::support::{BASE, Reply, TestApp, user_path};

const CHECKED_IN: &str = "openapi/idm-credentials.json";

fn document() -> Value {
    serde_json::to_value(api::document()).expect("the document serializes")
}

/// `UPDATE_OPENAPI=1 cargo test openapi` rewrites the file.
#[test]
fn checked_in_document_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(CHECKED_IN);
    let generated = api::openapi::render(&api::document());
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == generated,
        "{CHECKED_IN} differs from what the code generates; regenerate it with \
         `UPDATE_OPENAPI=1 cargo test openapi` and commit it"
    );
}

#[test]
fn document_is_openapi_3_1_with_its_security_schemes() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["bearer"]["bearerFormat"], "JWT");
    assert_eq!(schemes["xToken"]["in"], "header");
    assert_eq!(schemes["xToken"]["name"], "X-Token");
    let password_delete =
        &doc["paths"][format!("{BASE}/{{clientExtId}}/users/{{userExtId}}/password")]["delete"];
    assert_eq!(
        password_delete["security"],
        json!([{"bearer": []}, {"bearer": [], "xToken": []}])
    );
}

/// Route files register routes with `routes!(...)` only: a plain axum `.route(...)`
/// would serve a path the document does not show. `kind.rs` builds each credential
/// type's operations and its method router from one description, and passes both to
/// `OpenApiRouter::routes` together; `the_document_is_served_as_generated` holds the
/// result to the checked-in document.
#[test]
fn api_routers_register_documented_routes_only() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/api");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.ends_with("kind.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for forbidden in [".route(", "axum::routing"] {
            assert!(
                !text.contains(forbidden),
                "{} uses `{forbidden}`: register routes with utoipa_axum's `routes!(...)` \
                 and a `#[utoipa::path]` on the handler (ARCHITECTURE.md, adding a type)",
                path.display()
            );
        }
    }
}

/// The document's operations, as (path template, method).
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.push((path.clone(), method.clone()));
            }
        }
    }
    out
}

fn concrete(template: &str) -> String {
    template
        .replace("{clientExtId}", "acme")
        .replace("{userExtId}", "jdoe")
        .replace("{policyExtId}", "pol-1")
        .replace("{extId}", "phone-1")
}

async fn unauthenticated(app: &TestApp, method: &str, path: &str) -> Reply {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .unwrap();
    app.send(request).await
}

both_stores! {
    /// Every documented operation reaches its handler (which asks for a token, or
    /// answers, for the open routes), and no path answers a method it does not document.
    async fn every_route_is_documented_and_every_documented_route_is_served(app) {
        let doc = document();
        let ops = operations(&doc);
        assert!(ops.len() >= 30, "only {} operations", ops.len());
        for (template, method) in &ops {
            let reply = unauthenticated(&app, &method.to_uppercase(), &concrete(template)).await;
            let open = !template.starts_with("/nevisidm/api/");
            let expected: &[u16] = if open { &[200] } else { &[401] };
            assert!(
                expected.contains(&reply.status.as_u16()),
                "{method} {template}: {} {}",
                reply.status,
                reply.body
            );
        }
        for template in doc["paths"].as_object().unwrap().keys() {
            for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
                let documented = ops
                    .iter()
                    .any(|(t, m)| t == template && m.eq_ignore_ascii_case(method));
                if !documented {
                    unauthenticated(&app, method, &concrete(template))
                        .await
                        .expect_error(405, "errors.invalidData");
                }
            }
        }
    }

    async fn the_document_is_served_as_generated(app) {
        let reply = unauthenticated(&app, "GET", "/openapi.json").await.expect(200);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.body, document());
    }

    async fn swagger_ui_is_served_from_the_binary(app) {
        let page = unauthenticated(&app, "GET", "/swagger-ui/").await.expect(200);
        assert!(page.header("content-type").unwrap().starts_with("text/html"));
        let html = page.body.as_str().unwrap();
        assert!(html.contains("swagger-ui-bundle.js"), "{html}");
        assert!(!html.contains("https://"), "the page loads nothing from elsewhere");
        let script = unauthenticated(&app, "GET", "/swagger-ui/swagger-ui-bundle.js").await.expect(200);
        assert!(script.header("content-type").unwrap().contains("javascript"));
        assert!(script.body.as_str().unwrap().len() > 100_000);
        let config = unauthenticated(&app, "GET", "/swagger-ui/swagger-initializer.js").await.expect(200);
        assert!(config.body.as_str().unwrap().contains("/openapi.json"));
    }

    async fn swagger_ui_can_be_turned_off(app) {
        let limits = Limits { swagger_ui: false, ..Limits::default() };
        let router = app::build_router(app.state.clone(), limits);
        let request = || Request::builder().uri("/swagger-ui/").body(Body::empty()).unwrap();
        let response = router.clone().oneshot(request()).await.unwrap();
        assert_eq!(response.status(), 404);
        let document = Request::builder().uri("/openapi.json").body(Body::empty()).unwrap();
        assert_eq!(router.oneshot(document).await.unwrap().status(), 200);
    }

    /// Real responses, success and error, validate against the schema the document
    /// gives for their path, method and status; no field outside it.
    async fn responses_validate_against_the_document(app) {
        let doc = document();
        let root = app.root();
        app.client_with_user("acme", "jdoe").await;
        let check = |template: &str, method: &str, reply: &Reply| {
            validate(&doc, &format!("{BASE}{template}"), method, reply)
        };

        let reply = app.post(&format!("{BASE}/clients"), &root, json!({"name": "Other"})).await.expect(201);
        check("/clients", "post", &reply);
        let reply = app.post(&format!("{BASE}/clients"), &root, json!({"extId": "acme", "name": "Again"})).await.expect(409);
        check("/clients", "post", &reply);
        let reply = app.get(&format!("{BASE}/clients/acme"), &root).await.expect(200);
        check("/clients/{clientExtId}", "get", &reply);
        let body = json!({"extId": "ann", "loginId": "ann", "name": {"firstName": "Ann"},
                          "contacts": {"email": "ann@example.com"}, "languageCode": "DE"});
        let reply = app.post(&format!("{BASE}/acme/users"), &root, body).await.expect(201);
        check("/{clientExtId}/users", "post", &reply);
        let reply = app.get(&format!("{BASE}/acme/users/ann"), &root).await.expect(200);
        check("/{clientExtId}/users/{userExtId}", "get", &reply);
        let reply = app.get(&format!("{BASE}/acme/policies"), &root).await.expect(200);
        check("/{clientExtId}/policies", "get", &reply);

        let path = user_path("acme", "jdoe", "password");
        let reply = app.post(&path, &root, json!({"password": "S3cure-Passw0rd"})).await.expect(201);
        check("/{clientExtId}/users/{userExtId}/password", "post", &reply);
        let reply = app.post(&path, &root, json!({"password": "S3cure-Passw0rd"})).await.expect(409);
        check("/{clientExtId}/users/{userExtId}/password", "post", &reply);
        let reply = app.patch(&path, &root, json!({"stateName": "active", "version": 1})).await.expect(200);
        check("/{clientExtId}/users/{userExtId}/password", "patch", &reply);
        let reply = app.patch(&path, &root, json!({"stateName": "gone"})).await.expect(422);
        check("/{clientExtId}/users/{userExtId}/password", "patch", &reply);
        let login = "/nevisidm/api/auth/v1/{clientExtId}/users/{userExtId}/password/login";
        let login_path = "/nevisidm/api/auth/v1/acme/users/jdoe/password/login";
        for (password, status) in [("S3cure-Passw0rd", 200), ("wrong", 200), ("wrong", 200), ("S3cure-Passw0rd", 423), ("", 422)] {
            let reply = app.post(login_path, &root, json!({"password": password})).await.expect(status);
            validate(&doc, login, "post", &reply);
        }
        let reply = app.post("/nevisidm/api/auth/v1/acme/users/nobody/password/login", &root, json!({"password": "x"})).await.expect(404);
        validate(&doc, login, "post", &reply);
        let principal = "/nevisidm/api/principal/v1";
        let me = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
        app.patch(&user_path("acme", "jdoe", "password"), &root, json!({"stateName": "active"})).await.expect(200);
        for (password, status) in [("S3cure-Passw0rd", 200), ("wrong", 401)] {
            let body = json!({"username": "jdoe", "password": password, "grant_type": "password"});
            let reply = app.post(&format!("{principal}/token"), &me, body).await.expect(status);
            validate(&doc, &format!("{principal}/token"), "post", &reply);
        }
        let reply = app.post(&format!("{principal}/token"), &me, json!({"grant_type": "implicit"})).await.expect(422);
        validate(&doc, &format!("{principal}/token"), "post", &reply);
        for (token, status) in [(&me, 200), (&root, 403)] {
            let reply = app.get(&format!("{principal}/me"), token).await.expect(status);
            validate(&doc, &format!("{principal}/me"), "get", &reply);
        }
        let reply = app.get(&format!("{principal}/permissions"), &me).await.expect(200);
        validate(&doc, &format!("{principal}/permissions"), "get", &reply);

        let path = user_path("acme", "jdoe", "ticket");
        let reply = app.get(&path, &root).await.expect(404);
        check("/{clientExtId}/users/{userExtId}/ticket", "get", &reply);
        let reply = app.post(&path, &root, json!({"identification": "order-1"})).await.expect(201);
        check("/{clientExtId}/users/{userExtId}/ticket", "post", &reply);
        let reply = app.post(&format!("{path}/reset"), &root, Value::Null).await.expect(200);
        check("/{clientExtId}/users/{userExtId}/ticket/reset", "post", &reply);

        let path = user_path("acme", "jdoe", "mtans");
        let reply = app.post(&path, &root, json!({"extId": "phone-1", "mobileNumber": "+41 79 123 45 67"})).await.expect(201);
        check("/{clientExtId}/users/{userExtId}/mtans", "post", &reply);
        let reply = app.post(&format!("{path}/phone-1"), &root, json!({"success": false})).await.expect(200);
        check("/{clientExtId}/users/{userExtId}/mtans/{extId}", "post", &reply);
        let reply = app.get(&format!("{path}?limit=1"), &root).await.expect(200);
        check("/{clientExtId}/users/{userExtId}/mtans", "get", &reply);

        let path = user_path("acme", "jdoe", "oath-credentials");
        let template = "/{clientExtId}/users/{userExtId}/oath-credentials";
        let reply = app.post(&path, &root, json!({"extId": "app-1", "label": "jdoe@acme"})).await.expect(201);
        assert!(reply.body["uri"].as_str().unwrap().starts_with("otpauth://totp/"));
        check(template, "post", &reply);
        app.add_policy("acme", "oath-hotp", "OathPolicy", json!({"initialType": "hotp", "issuer": "ACME"})).await;
        let reply = app.post(&path, &root, json!({"extId": "app-2", "label": "jdoe", "policyExtId": "oath-hotp"})).await.expect(201);
        check(template, "post", &reply);
        let reply = app.post(&path, &root, json!({"extId": "app-1", "label": "again"})).await.expect(409);
        check(template, "post", &reply);
        let reply = app.post(&path, &root, json!({"label": "a:b:c"})).await.expect(422);
        check(template, "post", &reply);
        let reply = app.get(&format!("{path}?limit=1"), &root).await.expect(200);
        assert!(reply.body["_pagination"]["continuationToken"].is_string(), "{}", reply.body);
        check(template, "get", &reply);
        let reply = app.get(&format!("{path}?limit=x"), &root).await.expect(400);
        check(template, "get", &reply);
        let reply = app.get(&path, &root).await.expect(200);
        assert!(reply.body["items"].as_array().unwrap().iter().all(|item| item.get("uri").is_none()));
        check(template, "get", &reply);
        let template = "/{clientExtId}/users/{userExtId}/oath-credentials/{extId}";
        for ext_id in ["app-1", "app-2"] {
            let reply = app.get(&format!("{path}/{ext_id}"), &root).await.expect(200);
            check(template, "get", &reply);
        }
        let me = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
        let reply = app.get(&format!("{path}/app-1"), &me).await.expect(200);
        assert!(reply.body.get("secret").is_none());
        check(template, "get", &reply);
        let reply = app.patch(&format!("{path}/app-1"), &root, json!({"label": "work phone", "extId": "app-3"})).await.expect(200);
        check(template, "patch", &reply);
        let reply = app.patch(&format!("{path}/app-3"), &me, json!({"label": "mine"})).await.expect(401);
        check(template, "patch", &reply);

        let path = user_path("acme", "jdoe", "mobile-signature");
        let template = "/{clientExtId}/users/{userExtId}/mobile-signature";
        let cert = include_str!("../fixtures/signer-cert.pem");
        let body = json!({"extId": "msig-1", "identificator": "jdoe-sig", "msspIdentifier": "http://mssp.example.com",
                          "msisdn": "+41791234567", "signerCert": cert});
        let reply = app.post(&path, &root, body.clone()).await.expect(201);
        check(template, "post", &reply);
        let reply = app.post(&path, &root, body).await.expect(409);
        check(template, "post", &reply);
        let reply = app.get(&path, &root).await.expect(200);
        assert_eq!(reply.body["signerCert"], cert);
        check(template, "get", &reply);
        let reply = app.patch(&path, &root, json!({"signerCert": null, "msisdn": "+41787654321"})).await.expect(200);
        assert!(reply.body.get("signerCert").is_none());
        check(template, "patch", &reply);
        let reply = app.get(&path, &root).await.expect(200);
        check(template, "get", &reply);

        let path = user_path("acme", "jdoe", "generic-credentials");
        let template = "/{clientExtId}/users/{userExtId}/generic-credentials";
        let reply = app.post(&path, &root, json!({"extId": "gen-1", "identification": "ext-1", "properties": {"k": "v"}})).await.expect(201);
        check(template, "post", &reply);
        let reply = app.post(&path, &root, json!({"identification": ""})).await.expect(422);
        check(template, "post", &reply);
        let reply = app.get(&path, &root).await.expect(200);
        check(template, "get", &reply);
        let template = "/{clientExtId}/users/{userExtId}/generic-credentials/{extId}";
        let reply = app.patch(&format!("{path}/gen-1"), &root, json!({"identification": "ext-2"})).await.expect(200);
        check(template, "patch", &reply);
        let reply = app.get(&format!("{path}/gen-1"), &me).await.expect(200);
        check(template, "get", &reply);
        let template = "/{clientExtId}/users/{userExtId}/generic-credentials/{extId}/properties";
        let reply = app.patch(&format!("{path}/gen-1/properties"), &root, json!({"k": null, "team": "ops"})).await.expect(200);
        check(template, "patch", &reply);
        let reply = app.get(&format!("{path}/gen-1/properties"), &root).await.expect(200);
        check(template, "get", &reply);
        let reply = app.patch(&format!("{path}/gen-1/properties"), &root, json!({"team": 1})).await.expect(422);
        check(template, "patch", &reply);

        let reply = app.get(&user_path("acme", "jdoe", "credentials"), &root).await.expect(200);
        assert_eq!(reply.body["items"].as_array().unwrap().len(), 7);
        check("/{clientExtId}/users/{userExtId}/credentials", "get", &reply);
        let reply = app.get(&user_path("acme", "jdoe", "credentials/phone-1/history"), &root).await.expect(200);
        check("/{clientExtId}/users/{userExtId}/credentials/{extId}/history", "get", &reply);
        let reply = app.get(&user_path("acme", "jdoe", "credentials/app-3/history"), &root).await.expect(200);
        check("/{clientExtId}/users/{userExtId}/credentials/{extId}/history", "get", &reply);

        let reply = unauthenticated(&app, "GET", &user_path("acme", "jdoe", "password")).await.expect(401);
        check("/{clientExtId}/users/{userExtId}/password", "get", &reply);

        // A GET of an OATH credential must not carry the create response's `uri`.
        let path = format!("{BASE}/{{clientExtId}}/users/{{userExtId}}/oath-credentials/{{extId}}");
        let mut with_uri = app.get(&user_path("acme", "jdoe", "oath-credentials/app-2"), &root).await.expect(200).body;
        assert!(schema_errors(&doc, &path, "get", 200, &with_uri).is_empty());
        with_uri["uri"] = json!("otpauth://hotp/ACME:jdoe?secret=X");
        assert!(!schema_errors(&doc, &path, "get", 200, &with_uri).is_empty());

        // The validation can fail: an extra field, a missing one, a wrong enum value.
        let path = format!("{BASE}/{{clientExtId}}/users/{{userExtId}}/password");
        let good = app.get(&user_path("acme", "jdoe", "password"), &root).await.expect(200).body;
        assert!(schema_errors(&doc, &path, "get", 200, &good).is_empty());
        for broken in [
            { let mut b = good.clone(); b["surprise"] = json!(1); b },
            { let mut b = good.clone(); b.as_object_mut().unwrap().remove("version"); b },
            { let mut b = good.clone(); b["stateName"] = json!("sleepy"); b },
            json!({"errors": [{"code": "errors.noRecord", "message": "x"}]}),
        ] {
            assert!(!schema_errors(&doc, &path, "get", 200, &broken).is_empty(), "{broken}");
        }
    }

    /// The request schemas are hand-written (the services read bodies field by field):
    /// every field they name must be one the server reads. Sending each as `null` gets
    /// "must not be null" or a change, never "is not a field of this resource".
    async fn every_documented_request_field_is_read_by_the_server(app) {
        let doc = document();
        let root = app.root();
        app.client_with_user("acme", "jdoe").await;
        app.add_policy("acme", "pol-1", "TicketPolicy", json!({})).await;
        app.post(&user_path("acme", "jdoe", "mtans"), &root, json!({"extId": "phone-1", "mobileNumber": "+41791234567"}))
            .await
            .expect(201);
        app.post(&user_path("acme", "jdoe", "ticket"), &root, json!({})).await.expect(201);
        let mut checked = 0;
        for (template, method) in operations(&doc) {
            let operation = &doc["paths"][&template][&method];
            let Some(content) = operation["requestBody"]["content"].as_object() else {
                continue;
            };
            let schema = resolve(&doc, &content["application/json"]["schema"]);
            // A map of names to values (generic credential properties) has no fields to name.
            let Some(properties) = schema["properties"].as_object() else {
                assert!(schema["additionalProperties"].is_object(), "{template}: {schema}");
                continue;
            };
            let fields: Map<String, Value> = properties
                .keys()
                .map(|k| (k.clone(), Value::Null))
                .collect();
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let reply = app
                .call(method.clone(), &concrete(&template), Some(&root), Some(Value::Object(fields)))
                .await;
            let text = reply.body.to_string();
            assert!(
                !text.contains("is not a field"),
                "{method} {template} does not read a documented field: {text}"
            );
            checked += 1;
        }
        assert!(checked >= 10, "only {checked} request bodies checked");
        // And the check can fail: an undocumented field is refused with that message.
        let reply = app
            .call(Method::PATCH, &user_path("acme", "jdoe", "ticket"), Some(&root), Some(json!({"colour": "red"})))
            .await
            .expect(422);
        assert!(reply.body.to_string().contains("is not a field"), "{}", reply.body);
    }
}

/// Follows `$ref`s to components until a schema object remains.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(pointer) => resolve(doc, doc.pointer(pointer.trim_start_matches('#')).unwrap()),
        None => value,
    }
}

/// Validates `reply` against the schema the document gives for it. A reply without a
/// body (password create: "no content is returned") needs only a documented status.
#[track_caller]
fn validate(doc: &Value, path: &str, method: &str, reply: &Reply) {
    let status = reply.status.as_u16();
    if reply.body.is_null() {
        let response = resolve(
            doc,
            &doc["paths"][path][method]["responses"][status.to_string()],
        );
        assert!(
            response.is_object(),
            "{method} {path} does not document status {status}"
        );
        return;
    }
    let errors = schema_errors(doc, path, method, status, &reply.body);
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: {errors:?}\nbody: {}",
        reply.body
    );
}

/// What is wrong with `body` as the response of `paths[path][method].responses[status]`;
/// properties the schema does not name at the top level are wrong too.
#[track_caller]
fn schema_errors(doc: &Value, path: &str, method: &str, status: u16, body: &Value) -> Vec<String> {
    let status = status.to_string();
    let operation = &doc["paths"][path][method];
    assert!(operation.is_object(), "{method} {path} is not documented");
    let response = resolve(doc, &operation["responses"][&status]);
    assert!(
        response.is_object(),
        "{method} {path} does not document status {status}"
    );
    let schema = &response["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} {status} has no JSON schema"
    );
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
        "unevaluatedProperties": false,
    });
    let validator = jsonschema::validator_for(&root).expect("the schema compiles");
    validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}
