//! Mobile signature credentials: seed 001 and the endpoints around it.

use axum::body::Body;
use axum::http::Request;
use futures_util::future::join_all;
use idm_credentials::auth::Claims;
use serde_json::{Value, json};

use crate::support::{TestApp, user_path, wins_and_conflicts};

/// A self-signed P-256 certificate, CN=test, valid until 2126
/// (`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500 -subj /CN=test`).
const CERT: &str = include_str!("../fixtures/signer-cert.pem");

const MSSP: &str = "http://www.swisscom.ch";
const MSISDN: &str = "+41791234567";
/// Swiss mobile numbers only.
const SWISS: &str = r"\+417\d{8}";

fn path() -> String {
    user_path("acme", "jdoe", "mobile-signature")
}

fn full_body() -> Value {
    json!({"extId": "ms-1", "identificator": "id-1", "msspIdentifier": MSSP, "msisdn": MSISDN, "signerCert": CERT})
}

/// Client acme, user jdoe with mobile signature ms-1 (certificate included).
async fn with_signature(app: &TestApp) -> String {
    app.client_with_user("acme", "jdoe").await;
    app.post(&path(), &app.root(), full_body())
        .await
        .expect(201);
    path()
}

/// A PATCH with `If-Match` (and a JSON body of the merge-patch type).
fn patch_if_match(path: &str, token: &str, if_match: &str, body: Value) -> Request<Body> {
    Request::patch(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/merge-patch+json")
        .header("if-match", if_match)
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// The type's own fields of a response.
fn own_fields(body: &Value) -> Value {
    json!([
        body["identificator"],
        body["msspIdentifier"],
        body["msisdn"],
        body["signerCert"]
    ])
}

both_stores! {
    /// Create: 201, Location, ETag, the seed's DTO; GET returns the same.
    async fn create_returns_the_full_dto(app) {
        app.client_with_user("acme", "jdoe").await;
        let reply = app.post(&path(), &app.root(), full_body()).await.expect(201);
        assert_eq!(reply.header("location"), Some("/nevisidm/api/core/v1/acme/users/jdoe/mobile-signature"));
        assert_eq!(reply.header("etag"), Some("\"1\""));
        let body = &reply.body;
        assert_eq!(body["type"], "MobileSignature");
        assert_eq!(body["extId"], "ms-1");
        assert_eq!(body["userExtId"], "jdoe");
        assert_eq!(body["stateName"], "active");
        assert_eq!(body["stateChangeReason"], "activated");
        assert_eq!(body["policyExtId"], "default-MobileSignaturePolicy");
        assert_eq!(own_fields(body), json!(["id-1", MSSP, MSISDN, CERT]));
        assert_eq!((body["version"].as_i64(), body["successfulLoginCount"].as_i64(), body["failedLoginCount"].as_i64()), (Some(1), Some(0), Some(0)));
        for field in ["created", "lastModified", "validity"] {
            assert!(body.get(field).is_some(), "missing {field} in {body}");
        }
        let got = app.get(&path(), &app.root()).await.expect(200);
        assert_eq!(got.header("etag"), Some("\"1\""));
        assert_eq!(&got.body, body);
        assert_eq!(app.history_len("acme", "jdoe", "ms-1").await, 1);
    }

    /// signerCert is optional; extId is generated; stateName may be given.
    async fn create_minimal_with_state(app) {
        app.client_with_user("acme", "jdoe").await;
        let body = json!({"identificator": "id-1", "msspIdentifier": MSSP, "msisdn": MSISDN, "stateName": "initial"});
        let reply = app.post(&path(), &app.root(), body).await.expect(201);
        assert!(reply.body.get("signerCert").is_none(), "{}", reply.body);
        assert_eq!(reply.body["extId"].as_str().unwrap().len(), 36, "a UUID");
        assert_eq!(reply.body["stateName"], "initial");
        assert_eq!(reply.body["stateChangeReason"], "initialized");
    }

    /// One per user: the second is 409 mobileSignatureExists and changes nothing;
    /// another user may have one, and after a delete the user may have one again.
    async fn second_is_409_exists(app) {
        with_signature(&app).await;
        let root = app.root();
        let mut second = full_body();
        second["extId"] = json!("ms-2");
        app.post(&path(), &root, second.clone()).await.expect_error(409, "errors.mobileSignatureExists");
        app.post(&path(), &root, json!({"identificator": "x", "msspIdentifier": MSSP, "msisdn": MSISDN}))
            .await
            .expect_error(409, "errors.mobileSignatureExists");
        assert_eq!(app.get(&path(), &root).await.body["extId"], "ms-1");
        app.add_user("acme", "other").await;
        app.post(&user_path("acme", "other", "mobile-signature"), &root, second.clone()).await.expect(201);
        app.delete(&path(), &root).await.expect(204);
        second["extId"] = json!("ms-3");
        app.post(&path(), &root, second).await.expect(201);
    }

    /// Every refused create body: 422 invalidData, nothing stored.
    async fn create_validates_fields(app) {
        app.client_with_user("acme", "jdoe").await;
        let root = app.root();
        let not_a_cert = CERT.replace("MIIB", "M!IB");
        let key = CERT.replace("CERTIFICATE", "PUBLIC KEY");
        let mut bodies = vec![
            json!({}),
            json!({"msspIdentifier": MSSP, "msisdn": MSISDN}),
            json!({"identificator": "id-1", "msspIdentifier": MSSP}),
            json!({"identificator": null, "msspIdentifier": MSSP, "msisdn": MSISDN}),
            json!({"identificator": "id-1", "msspIdentifier": MSSP, "msisdn": null}),
            json!({"identificator": "id-1", "msspIdentifier": null, "msisdn": MSISDN}),
            json!({"identificator": " ", "msspIdentifier": MSSP, "msisdn": MSISDN}),
            json!({"identificator": "x".repeat(51), "msspIdentifier": MSSP, "msisdn": MSISDN}),
            json!({"identificator": "id-1", "msspIdentifier": MSSP, "msisdn": 41791234567_i64}),
            json!({"identificator": "id-1", "msspIdentifier": MSSP, "msisdn": MSISDN, "signerCert": "hello"}),
            json!({"identificator": "id-1", "msspIdentifier": MSSP, "msisdn": MSISDN, "signerCert": not_a_cert}),
            json!({"identificator": "id-1", "msspIdentifier": MSSP, "msisdn": MSISDN, "signerCert": key}),
            json!({"identificator": "id-1", "msspIdentifier": MSSP, "msisdn": MSISDN, "bogus": 1}),
            json!({"identificator": "id-1", "msspIdentifier": MSSP, "msisdn": MSISDN, "stateName": "gone"}),
        ];
        // The default policy has no defaultMsspIdentifier, so the MSSP is required.
        bodies.push(json!({"identificator": "id-1", "msisdn": MSISDN}));
        for body in bodies {
            let reply = app.post(&path(), &root, body.clone()).await;
            assert_eq!((reply.status.as_u16(), reply.code()), (422, "errors.invalidData"), "{body}: {}", reply.body);
        }
        let bad_cert = app
            .post(&path(), &root, json!({"identificator": "id-1", "msspIdentifier": MSSP, "msisdn": MSISDN, "signerCert": "hello"}))
            .await;
        let message = bad_cert.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("signerCert"), "{message}");
        // All problems at once.
        let many = app.post(&path(), &root, json!({"msisdn": null, "signerCert": "x", "bogus": 1})).await.expect(422);
        assert!(many.body["errors"].as_array().unwrap().len() >= 4, "{}", many.body);
        app.get(&path(), &root).await.expect_error(404, "errors.noRecord");
    }

    /// msspIdentifier falls back to the policy's defaultMsspIdentifier.
    async fn mssp_defaults_to_the_policy(app) {
        app.client_with_user("acme", "jdoe").await;
        app.add_policy("acme", "ms-default", "MobileSignaturePolicy", json!({"defaultMsspIdentifier": "http://mssp.example.com"})).await;
        let body = json!({"identificator": "id-1", "msisdn": MSISDN, "policyExtId": "ms-default"});
        let reply = app.post(&path(), &app.root(), body).await.expect(201);
        assert_eq!(reply.body["msspIdentifier"], "http://mssp.example.com");
        assert_eq!(reply.body["policyExtId"], "ms-default");
        app.add_user("acme", "other").await;
        let given = json!({"identificator": "id-1", "msisdn": MSISDN, "policyExtId": "ms-default", "msspIdentifier": MSSP});
        let reply = app.post(&user_path("acme", "other", "mobile-signature"), &app.root(), given).await.expect(201);
        assert_eq!(reply.body["msspIdentifier"], MSSP);
    }

    /// policyExtId must name a MobileSignaturePolicy of the client; its msisdn regex
    /// must match the whole msisdn.
    async fn create_policy_rules(app) {
        app.client_with_user("acme", "jdoe").await;
        app.add_policy("acme", "swiss", "MobileSignaturePolicy", json!({"validation.msisdn.regex": SWISS})).await;
        let root = app.root();
        let with = |policy: &str, msisdn: &str| json!({"identificator": "id-1", "msspIdentifier": MSSP, "msisdn": msisdn, "policyExtId": policy});
        app.post(&path(), &root, with("default-TANPolicy", MSISDN)).await.expect_error(422, "errors.policyViolation");
        app.post(&path(), &root, with("nope", MSISDN)).await.expect_error(422, "errors.missingReferenceData");
        for bad in ["+36201234567", "+41791234567 ", "x+41791234567", "+4179123456"] {
            app.post(&path(), &root, with("swiss", bad)).await.expect_error(422, "errors.policyViolation");
        }
        app.get(&path(), &root).await.expect_error(404, "errors.noRecord");
        let reply = app.post(&path(), &root, with("swiss", MSISDN)).await.expect(201);
        assert_eq!(reply.body["policyExtId"], "swiss");
        // A policy with a broken regex is refused when it is created.
        let broken = json!({"extId": "broken", "name": "broken", "policyType": "MobileSignaturePolicy", "parameters": {"validation.msisdn.regex": "("}});
        app.post(&format!("{}/acme/policies", crate::support::BASE), &root, broken).await.expect_error(422, "errors.invalidConfig");
    }

    /// PATCH (seed 001): each field changes alone, the others stay; each change is a
    /// new version with a history row.
    async fn patch_changes_only_what_is_sent(app) {
        let path = with_signature(&app).await;
        let root = app.root();
        let reply = app.patch(&path, &root, json!({"identificator": "id-2", "version": 1})).await.expect(200);
        assert_eq!(own_fields(&reply.body), json!(["id-2", MSSP, MSISDN, CERT]));
        assert_eq!(reply.header("etag"), Some("\"2\""));
        let reply = app.patch(&path, &root, json!({"msspIdentifier": "http://mssp.example.com"})).await.expect(200);
        assert_eq!(own_fields(&reply.body), json!(["id-2", "http://mssp.example.com", MSISDN, CERT]));
        let reply = app.patch(&path, &root, json!({"msisdn": "+36201234567"})).await.expect(200);
        assert_eq!(own_fields(&reply.body), json!(["id-2", "http://mssp.example.com", "+36201234567", CERT]));
        let reply = app.patch(&path, &root, json!({"signerCert": null})).await.expect(200);
        assert!(reply.body.get("signerCert").is_none(), "{}", reply.body);
        assert_eq!(own_fields(&reply.body), json!(["id-2", "http://mssp.example.com", "+36201234567", null]));
        let reply = app.patch(&path, &root, json!({"signerCert": CERT, "modificationComment": "new phone"})).await.expect(200);
        assert_eq!(reply.body["signerCert"], CERT);
        assert_eq!(reply.body["modificationComment"], "new phone");
        assert_eq!(reply.body["stateName"], "active");
        assert_eq!(reply.body["policyExtId"], "default-MobileSignaturePolicy");
        assert_eq!(reply.body["version"], 6);
        let got = app.get(&path, &root).await.expect(200);
        assert_eq!(got.body, reply.body);
        assert_eq!(app.history_len("acme", "jdoe", "ms-1").await, 6);
    }

    /// A PATCH that changes nothing (or echoes what was read) leaves version and history.
    async fn echoing_what_was_read_changes_nothing(app) {
        let path = with_signature(&app).await;
        let root = app.root();
        let read = app.get(&path, &root).await.expect(200).body;
        let same = app.patch(&path, &root, read.clone()).await.expect(200);
        assert_eq!(same.body, read);
        app.patch(&path, &root, json!({"msisdn": MSISDN, "signerCert": CERT})).await.expect(200);
        let mut changed = read.clone();
        changed["created"] = json!("2001-01-01T00:00:00Z");
        app.patch(&path, &root, changed).await.expect_error(422, "errors.modifyReadonlyData");
        app.patch(&path, &root, json!({"type": "mTan"})).await.expect_error(422, "errors.modifyReadonlyData");
        app.patch(&path, &root, json!({"failedLoginCount": 3})).await.expect_error(422, "errors.modifyReadonlyData");
        assert_eq!(app.get(&path, &root).await.body["version"], 1);
        assert_eq!(app.history_len("acme", "jdoe", "ms-1").await, 1);
    }

    /// Every refused PATCH body, each with its code; nothing changes.
    async fn patch_errors(app) {
        let path = with_signature(&app).await;
        let root = app.root();
        let not_a_cert = CERT.replace("MIIB", "M!IB");
        for body in [
            json!({"msisdn": null}),
            json!({"identificator": null}),
            json!({"msspIdentifier": null}),
            json!({"stateName": null}),
            json!({"msisdn": ""}),
            json!({"msisdn": 41}),
            json!({"msspIdentifier": "x".repeat(51)}),
            json!({"signerCert": "hello"}),
            json!({"signerCert": not_a_cert}),
            json!({"signerCert": format!("{CERT}{CERT}")}),
            json!({"signerCert": 1}),
            json!({"stateName": "gone"}),
            json!({"mobileNumber": MSISDN}),
            json!({"identificator": "id-2", "bogus": true}),
            json!({"version": 0}),
        ] {
            let reply = app.patch(&path, &root, body.clone()).await;
            assert_eq!((reply.status.as_u16(), reply.code()), (422, "errors.invalidData"), "{body}: {}", reply.body);
        }
        app.patch(&path, &root, json!({"identificator": "id-2", "version": 7})).await.expect_error(409, "errors.optimisticLockingFailure");
        app.patch(&path, &root, json!({"policyExtId": "default-TANPolicy"})).await.expect_error(422, "errors.policyViolation");
        app.patch(&path, &root, json!({"policyExtId": "nope"})).await.expect_error(422, "errors.missingReferenceData");
        let body = app.get(&path, &root).await.expect(200).body;
        assert_eq!(body["version"], 1);
        assert_eq!(own_fields(&body), json!(["id-1", MSSP, MSISDN, CERT]));
    }

    /// msisdn is checked against the regex of the credential's policy on PATCH, and a
    /// policy change re-checks the stored msisdn against the new policy.
    async fn patch_checks_msisdn_against_the_policy(app) {
        let path = with_signature(&app).await;
        let root = app.root();
        app.add_policy("acme", "swiss", "MobileSignaturePolicy", json!({"validation.msisdn.regex": SWISS})).await;
        // The default policy has no regex: anything goes.
        app.patch(&path, &root, json!({"msisdn": "+36201234567"})).await.expect(200);
        // Moving to the Swiss policy with a Hungarian number is refused ...
        app.patch(&path, &root, json!({"policyExtId": "swiss"})).await.expect_error(422, "errors.policyViolation");
        app.patch(&path, &root, json!({"policyExtId": "swiss", "msisdn": "+36201234568"})).await.expect_error(422, "errors.policyViolation");
        let body = app.get(&path, &root).await.body;
        assert_eq!((body["policyExtId"].as_str(), body["msisdn"].as_str(), body["version"].as_i64()),
            (Some("default-MobileSignaturePolicy"), Some("+36201234567"), Some(2)));
        // ... with a Swiss number in the same PATCH it is fine.
        let reply = app.patch(&path, &root, json!({"policyExtId": "swiss", "msisdn": MSISDN})).await.expect(200);
        assert_eq!(reply.body["policyExtId"], "swiss");
        // Under the Swiss policy, a new msisdn must match it.
        app.patch(&path, &root, json!({"msisdn": "+36201234567"})).await.expect_error(422, "errors.policyViolation");
        app.patch(&path, &root, json!({"msisdn": "+41797654321"})).await.expect(200);
        // null returns to the default policy.
        let back = app.patch(&path, &root, json!({"policyExtId": null, "msisdn": "+36201234567"})).await.expect(200);
        assert_eq!((back.body["policyExtId"].as_str(), back.body["version"].as_i64()), (Some("default-MobileSignaturePolicy"), Some(5)));
    }

    /// State changes come from the shared rules; archived is terminal.
    async fn states_and_archived(app) {
        let path = with_signature(&app).await;
        let root = app.root();
        let reply = app.patch(&path, &root, json!({"stateName": "fail-locked"})).await.expect(200);
        assert_eq!(reply.body["stateChangeReason"], "changed-by-admin");
        let reply = app.patch(&path, &root, json!({"stateName": "active"})).await.expect(200);
        assert_eq!(reply.body["stateChangeReason"], "unlock");
        let reply = app.patch(&path, &root, json!({"stateName": "archived"})).await.expect(200);
        assert_eq!(reply.body["stateName"], "archived");
        for body in [json!({"stateName": "active"}), json!({"msisdn": "+41797654321"}), json!({"signerCert": null})] {
            app.patch(&path, &root, body).await.expect_error(422, "errors.modifyReadonlyData");
        }
        let body = app.get(&path, &root).await.body;
        assert_eq!((body["stateName"].as_str(), body["version"].as_i64()), (Some("archived"), Some(4)));
        assert_eq!(body["signerCert"], CERT);
    }

    /// If-Match: stale is 412, current and * succeed; disagreeing with the body is 422.
    async fn if_match_is_honoured(app) {
        let path = with_signature(&app).await;
        let root = app.root();
        app.send(patch_if_match(&path, &root, "\"2\"", json!({"msisdn": "+41797654321"}))).await.expect_error(412, "errors.optimisticLockingFailure");
        app.send(patch_if_match(&path, &root, "\"1\"", json!({"msisdn": "+41797654321", "version": 2}))).await.expect_error(422, "errors.invalidData");
        let reply = app.send(patch_if_match(&path, &root, "\"1\"", json!({"msisdn": "+41797654321"}))).await.expect(200);
        assert_eq!(reply.header("etag"), Some("\"2\""));
        assert_eq!(app.send(patch_if_match(&path, &root, "*", json!({"identificator": "id-2"}))).await.expect(200).body["version"], 3);
        let delete = |if_match: &str| {
            Request::delete(path.as_str())
                .header("authorization", format!("Bearer {root}"))
                .header("if-match", if_match)
                .body(Body::empty())
                .unwrap()
        };
        app.send(delete("\"2\"")).await.expect_error(412, "errors.optimisticLockingFailure");
        app.get(&path, &root).await.expect(200);
        app.send(delete("\"3\"")).await.expect(204);
        app.get(&path, &root).await.expect_error(404, "errors.noRecord");
    }

    /// Only JSON bodies: anything else is 415 and changes nothing.
    async fn wrong_media_type_is_415(app) {
        let path = with_signature(&app).await;
        let root = app.root();
        for method in ["PATCH", "POST"] {
            let request = Request::builder()
                .method(method)
                .uri(path.as_str())
                .header("authorization", format!("Bearer {root}"))
                .header("content-type", "text/plain")
                .body(Body::from(json!({"msisdn": "+41797654321"}).to_string()))
                .unwrap();
            app.send(request).await.expect_error(415, "errors.invalidData");
        }
        assert_eq!(app.get(&path, &root).await.body["version"], 1);
    }

    /// Unknown client, user or credential: 404 noRecord on every endpoint.
    async fn missing_things_are_404(app) {
        app.client_with_user("acme", "jdoe").await;
        let root = app.root();
        app.get(&path(), &root).await.expect_error(404, "errors.noRecord");
        app.patch(&path(), &root, json!({"msisdn": MSISDN})).await.expect_error(404, "errors.noRecord");
        app.delete(&path(), &root).await.expect_error(404, "errors.noRecord");
        for (client, user) in [("acme", "nobody"), ("nowhere", "jdoe")] {
            let other = user_path(client, user, "mobile-signature");
            app.get(&other, &root).await.expect_error(404, "errors.noRecord");
            app.post(&other, &root, full_body()).await.expect_error(404, "errors.noRecord");
            app.patch(&other, &root, json!({"identificator": "x"})).await.expect_error(404, "errors.noRecord");
            app.delete(&other, &root).await.expect_error(404, "errors.noRecord");
        }
    }

    /// 401 without a valid token; 403 without the permission or outside the client;
    /// CredentialModify alone is enough for a PATCH (seed 001).
    async fn permissions(app) {
        let path = with_signature(&app).await;
        let root = app.root();
        app.call(axum::http::Method::GET, &path, None, None).await.expect_error(401, "errors.unauthenticated");
        app.call(axum::http::Method::PATCH, &path, Some("not-a-jwt"), Some(json!({"identificator": "x"}))).await.expect_error(401, "errors.unauthenticated");
        let only = |permission: &str| app.mint(&Claims {
            sub: "svc".into(),
            exp: u64::MAX / 2,
            permissions: vec![permission.into()],
            client_ext_id: Some("acme".into()),
            ..Claims::default()
        });
        let modify = only("AccessControl.CredentialModify");
        let reply = app.patch(&path, &modify, json!({"identificator": "id-2"})).await.expect(200);
        assert_eq!(reply.body["identificator"], "id-2");
        app.get(&path, &modify).await.expect_error(403, "errors.permissionDenied");
        app.delete(&path, &modify).await.expect_error(403, "errors.permissionDenied");
        app.post(&path, &modify, full_body()).await.expect_error(403, "errors.permissionDenied");
        let view = only("AccessControl.CredentialView");
        app.get(&path, &view).await.expect(200);
        app.patch(&path, &view, json!({"identificator": "id-3"})).await.expect_error(403, "errors.permissionDenied");
        let helpdesk_elsewhere = app.token("hd", &["nevisIdm.Helpdesk"], Some("globex"));
        app.get(&path, &helpdesk_elsewhere).await.expect_error(403, "errors.permissionDenied");
        app.patch(&path, &helpdesk_elsewhere, json!({"identificator": "id-3"})).await.expect_error(403, "errors.permissionDenied");
        let create = only("AccessControl.CredentialCreate");
        app.add_user("acme", "other").await;
        app.post(&user_path("acme", "other", "mobile-signature"), &create, full_body()).await.expect(201);
        let delete = only("AccessControl.CredentialDelete");
        app.delete(&path, &delete).await.expect(204);
        app.get(&path, &root).await.expect_error(404, "errors.noRecord");
    }

    /// nevisIDM grants no self-admin mode for mobile signatures (research §2.2): a
    /// self-admin is refused on their own credential as on anyone else's, X-Token or not.
    async fn self_admin_is_refused(app) {
        let own = with_signature(&app).await;
        app.add_user("acme", "other").await;
        let root = app.root();
        let theirs = user_path("acme", "other", "mobile-signature");
        app.post(&theirs, &root, full_body()).await.expect(201);
        let me = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
        let x_token = app.x_token("acme", "jdoe");
        // Nor does the list of one's own credentials show it (an admin's does).
        let mine = user_path("acme", "jdoe", "credentials");
        let types = |reply: &crate::support::Reply| -> Vec<String> {
            reply.body["items"].as_array().unwrap().iter().map(|c| c["type"].as_str().unwrap().to_owned()).collect()
        };
        assert!(!types(&app.get(&mine, &me).await.expect(200)).contains(&"MobileSignature".to_owned()));
        assert!(types(&app.get(&mine, &root).await.expect(200)).contains(&"MobileSignature".to_owned()));
        for path in [&own, &theirs] {
            app.get(path, &me).await.expect_error(403, "errors.permissionDenied");
            app.patch(path, &me, json!({"identificator": "mine"})).await.expect_error(403, "errors.permissionDenied");
            app.delete(path, &me).await.expect_error(403, "errors.permissionDenied");
            let with_x_token = Request::delete(path.as_str())
                .header("authorization", format!("Bearer {me}"))
                .header("x-token", x_token.as_str())
                .body(Body::empty())
                .unwrap();
            app.send(with_x_token).await.expect_error(403, "errors.permissionDenied");
        }
        app.delete(&own, &root).await.expect(204);
        app.post(&own, &me, full_body()).await.expect_error(403, "errors.permissionDenied");
        app.get(&theirs, &root).await.expect(200);
        assert_eq!(app.history_len("acme", "other", "ms-1").await, 1);
    }

    /// 16 parallel creates for one user: one 201, the rest 409 mobileSignatureExists.
    async fn parallel_creates_make_one(app) {
        app.client_with_user("acme", "jdoe").await;
        let (root, path) = (app.root(), path());
        let requests = (0..16).map(|i| {
            app.post(&path, &root, json!({"extId": format!("ms-{i}"), "identificator": "id", "msspIdentifier": MSSP, "msisdn": MSISDN}))
        });
        let replies = join_all(requests).await;
        let created = replies.iter().filter(|r| r.status == 201).count();
        let exists = replies.iter().filter(|r| r.status == 409 && r.code() == "errors.mobileSignatureExists").count();
        assert_eq!((created, exists), (1, 15), "{:?}", replies.iter().map(|r| (r.status, r.code().to_owned())).collect::<Vec<_>>());
        let winner = replies.iter().find(|r| r.status == 201).unwrap();
        assert_eq!(app.get(&path, &root).await.body["extId"], winner.body["extId"]);
    }

    /// 48 parallel PATCHes carrying the same version: exactly one wins.
    async fn parallel_patches_with_one_version(app) {
        let path = with_signature(&app).await;
        let root = app.root();
        let requests = (0..48).map(|i| {
            app.patch(&path, &root, json!({"identificator": format!("writer-{i}"), "version": 1}))
        });
        let replies = join_all(requests).await;
        assert_eq!(wins_and_conflicts(&replies), (1, 47), "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
        let winner = replies.iter().find(|r| r.status == 200).unwrap();
        let end = app.get(&path, &root).await.body;
        assert_eq!(end["version"], 2);
        assert_eq!(end["identificator"], winner.body["identificator"]);
        assert_eq!(app.history_len("acme", "jdoe", "ms-1").await, 2);
    }
}
