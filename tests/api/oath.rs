//! OATH credentials: seed 002 and `api/create-oath`, `api/get-oath(-credentials)`,
//! `api/delete-oath`.

use axum::http::Method;
use futures_util::future::join_all;
use idm_credentials::domain::secret_box;
use idm_credentials::store::Store;
use serde_json::{Value, json};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::support::{TestApp, one_parallel_patch_wins, request, user_path};

const LIST: &str = "oath-credentials";

/// Client acme, user jdoe with OATH credential o-1 (default policy); returns the
/// create response body and the credential's path.
async fn with_oath(app: &TestApp) -> (Value, String) {
    app.client_with_user("acme", "jdoe").await;
    let reply = app
        .post(
            &user_path("acme", "jdoe", LIST),
            &app.root(),
            json!({"extId": "o-1", "label": "jdoe@acme"}),
        )
        .await
        .expect(201);
    (
        reply.body,
        user_path("acme", "jdoe", "oath-credentials/o-1"),
    )
}

/// The base32 secret inside an `otpauth://` URI.
fn uri_secret(uri: &str) -> String {
    let query = uri.split_once('?').unwrap().1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("secret="))
        .unwrap()
        .to_owned()
}

/// The internal id and the stored `attributes` JSON of a credential, read from the row.
async fn raw_row(app: &TestApp, ext_id: &str) -> (String, Value) {
    const SQL: &str = "SELECT id, attributes FROM credentials WHERE ext_id = $1";
    let (id, attributes): (String, String) = match &app.store {
        Store::Postgres(pool) => sqlx::query_as(SQL)
            .bind(ext_id)
            .fetch_one(pool.sqlx())
            .await
            .unwrap(),
        Store::Sqlite(pool) => sqlx::query_as(SQL)
            .bind(ext_id)
            .fetch_one(pool.sqlx())
            .await
            .unwrap(),
    };
    (id, serde_json::from_str(&attributes).unwrap())
}

both_stores! {
    /// Create: 201, Location, ETag, seed 002's DTO with the one-time uri; GET and list
    /// show the same credential without it.
    async fn create_returns_the_full_dto_and_the_uri_once(app) {
        let (body, path) = with_oath(&app).await;
        assert_eq!(body["type"], "OATH");
        assert_eq!(body["label"], "jdoe@acme");
        assert_eq!(body["stateName"], "active");
        assert_eq!(body["stateChangeReason"], "activated");
        assert_eq!(body["policyExtId"], "default-OathPolicy");
        assert_eq!(body["authenticationMethod"], "TOTP");
        assert_eq!(body["hashingAlgorithm"], "SHA1");
        assert_eq!(body["digits"], "6");
        assert_eq!(body["period"], 30);
        assert_eq!(body["version"], 1);
        assert_eq!(body["counter"], 0, "get-oath shows counter for TOTP too: {body}");
        assert!(body.get("issuer").is_none(), "{body}");
        assert!(body["secret"].as_str().unwrap().starts_with("v1:"));
        let uri = body["uri"].as_str().unwrap();
        assert!(uri.starts_with("otpauth://totp/jdoe%40acme?secret="), "{uri}");
        assert_eq!(Secret::try_from_base32(uri_secret(uri)).unwrap().as_bytes().len(), 20);

        let got = app.get(&path, &app.root()).await.expect(200);
        assert_eq!(got.header("etag"), Some("\"1\""));
        let mut without_uri = body.clone();
        without_uri.as_object_mut().unwrap().remove("uri");
        assert_eq!(got.body, without_uri);
        let listed = app.get(&user_path("acme", "jdoe", LIST), &app.root()).await.expect(200);
        assert_eq!(listed.body["items"], json!([without_uri]));

        // The audit trail never carries the secret, in clear or sealed.
        let history = app.get(&user_path("acme", "jdoe", "credentials/o-1/history"), &app.root()).await.expect(200);
        let text = history.body.to_string();
        assert!(!text.contains(&uri_secret(uri)) && !text.contains("otpauth") && !text.contains(body["secret"].as_str().unwrap()), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
    }

    /// The uri carries the policy's issuer, algorithm, digits and period, and the codes
    /// computed from its secret are the codes of those parameters.
    async fn uri_follows_the_policy_and_yields_working_codes(app) {
        app.client_with_user("acme", "jdoe").await;
        app.add_policy("acme", "oath-256", "OathPolicy", json!({
            "issuer": "ACME Corp", "initialAlgorithm": "SHA256", "initialDigits": 8, "initialPeriod": 60,
        })).await;
        let reply = app.post(&user_path("acme", "jdoe", LIST), &app.root(),
            json!({"label": "jdoe", "policyExtId": "oath-256"})).await.expect(201);
        let body = &reply.body;
        assert_eq!((body["issuer"].as_str(), body["hashingAlgorithm"].as_str(), body["digits"].as_str(), body["period"].as_i64()),
            (Some("ACME Corp"), Some("SHA256"), Some("8"), Some(60)));
        let uri = body["uri"].as_str().unwrap();
        let from_uri = Totp::from_url(uri).unwrap();
        assert_eq!((from_uri.issuer(), from_uri.account_name()), (Some("ACME Corp"), "jdoe"));
        assert_eq!((from_uri.algorithm(), from_uri.digits(), from_uri.step()), (Algorithm::SHA256, 8, 60));
        let secret = Secret::try_from_base32(uri_secret(uri)).unwrap();
        assert_eq!(secret.as_bytes().len(), 32, "a SHA256 secret has 256 bits");
        let reference = Builder::new()
            .with_algorithm(Algorithm::SHA256)
            .with_digits(8)
            .with_step_duration(60)
            .with_secret(secret)
            .build()
            .unwrap();
        for time in [0, 59, 1_111_111_109, 2_000_000_000] {
            assert_eq!(from_uri.generate(time).to_string(), reference.generate(time).to_string());
        }
        assert_eq!(from_uri.generate(1_111_111_109).to_string().len(), 8);
    }

    /// An HOTP policy gives an otpauth://hotp URI with counter 0; `period` is shown as well
    /// (get-oath shows both).
    async fn hotp_policy(app) {
        app.client_with_user("acme", "jdoe").await;
        app.add_policy("acme", "oath-hotp", "OathPolicy", json!({"initialType": "hotp", "initialAlgorithm": "SHA512"})).await;
        let reply = app.post(&user_path("acme", "jdoe", LIST), &app.root(),
            json!({"label": "jdoe", "policyExtId": "oath-hotp"})).await.expect(201);
        let body = &reply.body;
        assert_eq!((body["authenticationMethod"].as_str(), body["counter"].as_i64()), (Some("HOTP"), Some(0)));
        assert_eq!(body["period"], 30, "{body}");
        let uri = body["uri"].as_str().unwrap();
        assert!(uri.starts_with("otpauth://hotp/jdoe?secret=") && uri.ends_with("&algorithm=SHA512&digits=6&counter=0"), "{uri}");
        assert_eq!(Secret::try_from_base32(uri_secret(uri)).unwrap().as_bytes().len(), 64);
    }

    /// The row holds the secret sealed (AES-256-GCM, AAD = credential id): not the
    /// plaintext, opened only with the right id; GET's `secret` is that ciphertext.
    async fn secret_is_stored_encrypted(app) {
        let (body, _) = with_oath(&app).await;
        let plain_b32 = uri_secret(body["uri"].as_str().unwrap());
        let plain = Secret::try_from_base32(&plain_b32).unwrap().as_bytes().to_vec();
        let (id, attributes) = raw_row(&app, "o-1").await;
        let sealed = attributes["secret"].as_str().unwrap();
        assert_eq!(sealed, body["secret"]);
        let raw = attributes.to_string();
        assert!(!raw.contains(&plain_b32) && !raw.contains("otpauth"), "{raw}");
        assert!(!raw.to_ascii_lowercase().contains(&plain_b32.to_ascii_lowercase()));
        assert_eq!(secret_box::open(&app.secret_key, &id, sealed).unwrap(), plain);
        assert!(secret_box::open(&app.secret_key, "another-credential-id", sealed).is_err());

        // A second credential of the same user gets its own secret and nonce.
        let other = app.post(&user_path("acme", "jdoe", LIST), &app.root(), json!({"extId": "o-2", "label": "jdoe@acme"})).await.expect(201);
        assert_ne!(uri_secret(other.body["uri"].as_str().unwrap()), plain_b32);
        let (other_id, other_attributes) = raw_row(&app, "o-2").await;
        // Moving a ciphertext to another row does not make it usable there.
        assert!(secret_box::open(&app.secret_key, &other_id, sealed).is_err());
        assert!(secret_box::open(&app.secret_key, &id, other_attributes["secret"].as_str().unwrap()).is_err());
    }

    /// Every refused create: each with its status and code, and nothing is stored.
    async fn create_errors(app) {
        app.client_with_user("acme", "jdoe").await;
        app.add_policy("acme", "oath-bad", "OathPolicy", json!({"initialDigits": 9})).await;
        let list = user_path("acme", "jdoe", LIST);
        let root = app.root();
        for body in [json!({}), json!({"label": null}), json!({"label": ""}), json!({"label": 7}),
            json!({"label": "a:b:c"}), json!({"label": ":b"}), json!({"label": "x", "bogus": 1}), json!({"label": "x", "uri": "otpauth://totp/x"}),
            json!({"label": "x", "stateName": "gone"}), json!({"label": "x", "extId": ""}), json!([])] {
            app.post(&list, &root, body).await.expect_error(422, "errors.invalidData");
        }
        app.post(&list, &root, json!({"label": "x", "policyExtId": "default-TANPolicy"})).await.expect_error(422, "errors.policyViolation");
        app.post(&list, &root, json!({"label": "x", "policyExtId": "nope"})).await.expect_error(422, "errors.missingReferenceData");
        app.post(&list, &root, json!({"label": "x", "policyExtId": "oath-bad"})).await.expect_error(422, "errors.invalidConfig");
        app.call(Method::POST, &list, None, Some(json!({"label": "x"}))).await.expect_error(401, "errors.unauthenticated");
        let helpdesk = app.token("hd", &["nevisIdm.Helpdesk"], Some("acme"));
        app.post(&list, &helpdesk, json!({"label": "x"})).await.expect_error(403, "errors.permissionDenied");
        let foreign = app.token("admin", &["nevisIdm.ClientRoot"], Some("other"));
        app.post(&list, &foreign, json!({"label": "x"})).await.expect_error(403, "errors.permissionDenied");
        let text = request(Method::POST, &list, &root, &[("content-type", "text/plain")], Some(json!({"label": "x"})));
        app.send(text).await.expect_error(415, "errors.invalidData");
        app.post(&user_path("acme", "nobody", LIST), &root, json!({"label": "x"})).await.expect_error(404, "errors.noRecord");
        app.post(&user_path("nowhere", "jdoe", LIST), &root, json!({"label": "x"})).await.expect_error(404, "errors.noRecord");
        assert_eq!(app.get(&list, &root).await.expect(200).body["items"], json!([]));
        app.post(&list, &root, json!({"extId": "o-1", "label": "x"})).await.expect(201);
        app.post(&list, &root, json!({"extId": "o-1", "label": "y"})).await.expect_error(409, "errors.duplicateValue");
    }

    /// PATCH (seed 002): label, state, comment, policy; each field alone, the rest kept.
    async fn patch_changes_only_what_is_sent(app) {
        let (created, path) = with_oath(&app).await;
        app.add_policy("acme", "oath-2", "OathPolicy", json!({"initialDigits": 8})).await;
        let root = app.root();
        let reply = app.patch(&path, &root, json!({"label": "new label", "version": 1})).await.expect(200);
        assert_eq!(reply.header("etag"), Some("\"2\""));
        let body = reply.body;
        assert_eq!((body["label"].as_str(), body["version"].as_i64()), (Some("new label"), Some(2)));
        for kept in ["stateName", "policyExtId", "secret", "digits", "period", "hashingAlgorithm", "created", "extId"] {
            assert_eq!(body[kept], created[kept], "{kept}");
        }
        let body = app.patch(&path, &root, json!({"stateName": "disabled", "modificationComment": "lost phone"})).await.expect(200).body;
        assert_eq!((body["stateName"].as_str(), body["stateChangeReason"].as_str()), (Some("disabled"), Some("changed-by-admin")));
        assert_eq!((body["modificationComment"].as_str(), body["label"].as_str()), (Some("lost phone"), Some("new label")));
        // A new policy is taken; the credential keeps the parameters its secret was provisioned with.
        let body = app.patch(&path, &root, json!({"policyExtId": "oath-2"})).await.expect(200).body;
        assert_eq!((body["policyExtId"].as_str(), body["digits"].as_str()), (Some("oath-2"), Some("6")));
        let body = app.patch(&path, &root, json!({"policyExtId": null, "modificationComment": null})).await.expect(200).body;
        assert_eq!(body["policyExtId"], "default-OathPolicy");
        assert!(body.get("modificationComment").is_none());
        assert_eq!(body["version"], 5);
        assert_eq!(app.history_len("acme", "jdoe", "o-1").await, 5);
        assert!(body.get("uri").is_none());
    }

    /// `extId` in the body renames the credential; it stays unique per user.
    async fn patch_renames_the_credential(app) {
        let (_, path) = with_oath(&app).await;
        let root = app.root();
        let list = user_path("acme", "jdoe", LIST);
        app.post(&list, &root, json!({"extId": "o-2", "label": "second"})).await.expect(201);
        app.patch(&path, &root, json!({"extId": "o-2"})).await.expect_error(409, "errors.duplicateValue");
        app.patch(&path, &root, json!({"extId": null})).await.expect_error(422, "errors.invalidData");
        let renamed = app.patch(&path, &root, json!({"extId": "o-renamed"})).await.expect(200);
        assert_eq!((renamed.body["extId"].as_str(), renamed.body["version"].as_i64()), (Some("o-renamed"), Some(2)));
        app.get(&path, &root).await.expect_error(404, "errors.noRecord");
        let got = app.get(&user_path("acme", "jdoe", "oath-credentials/o-renamed"), &root).await.expect(200);
        assert_eq!(got.body["label"], "jdoe@acme");
        // The sealed secret stays bound to the row, whatever its extId.
        let (id, attributes) = raw_row(&app, "o-renamed").await;
        assert!(secret_box::open(&app.secret_key, &id, attributes["secret"].as_str().unwrap()).is_ok());
    }

    /// Every refused PATCH body, each with its code; nothing changes.
    async fn patch_errors(app) {
        let (created, path) = with_oath(&app).await;
        let root = app.root();
        for body in [json!({"label": null}), json!({"label": ""}), json!({"label": "a:b:c"}), json!({"label": 1}),
            json!({"bogus": 1}), json!({"mobileNumber": "+41791234567"}), json!({"stateName": "gone"}), json!({"stateName": null}),
            json!({"version": "1"}), json!({"policyExtId": 5})] {
            app.patch(&path, &root, body).await.expect_error(422, "errors.invalidData");
        }
        for body in [json!({"uri": created["uri"]}), json!({"secret": "v1:AAAA"}), json!({"digits": "8"}),
            json!({"hashingAlgorithm": "SHA512"}), json!({"authenticationMethod": "HOTP"}), json!({"counter": 3}),
            json!({"type": "mTan"}), json!({"created": "2020-01-01T00:00:00Z"})] {
            app.patch(&path, &root, body).await.expect_error(422, "errors.modifyReadonlyData");
        }
        app.patch(&path, &root, json!({"policyExtId": "default-TANPolicy"})).await.expect_error(422, "errors.policyViolation");
        app.patch(&path, &root, json!({"policyExtId": "nope"})).await.expect_error(422, "errors.missingReferenceData");
        app.patch(&path, &root, json!({"label": "x", "version": 7})).await.expect_error(409, "errors.optimisticLockingFailure");
        app.call(Method::PATCH, &path, None, Some(json!({"label": "x"}))).await.expect_error(401, "errors.unauthenticated");
        let viewer = app.token("v", &["nevisIdm.SelfAdmin"], Some("acme"));
        app.patch(&path, &viewer, json!({"label": "x"})).await.expect_error(403, "errors.permissionDenied");
        let text = request(Method::PATCH, &path, &root, &[("content-type", "text/plain")], Some(json!({})));
        app.send(text).await.expect_error(415, "errors.invalidData");
        let mut without_uri = created.clone();
        without_uri.as_object_mut().unwrap().remove("uri");
        assert_eq!(app.get(&path, &root).await.expect(200).body, without_uri);
        assert_eq!(app.history_len("acme", "jdoe", "o-1").await, 1);
    }

    /// Without `policyExtId` the current policy is reloaded and re-validated: once its
    /// parameters are invalid, a PATCH is 422 invalidConfig until a valid policy is set.
    async fn patch_revalidates_the_policy(app) {
        app.client_with_user("acme", "jdoe").await;
        app.add_policy("acme", "oath-x", "OathPolicy", json!({"initialDigits": 6})).await;
        app.add_policy("acme", "oath-bad", "OathPolicy", json!({"initialAlgorithm": "MD5"})).await;
        let root = app.root();
        app.post(&user_path("acme", "jdoe", LIST), &root, json!({"extId": "o-1", "label": "x", "policyExtId": "oath-x"})).await.expect(201);
        let path = user_path("acme", "jdoe", "oath-credentials/o-1");
        let policy = format!("{}/acme/policies/oath-x", crate::support::BASE);
        for parameters in [json!({"initialDigits": 9}), json!({"initialAlgorithm": "MD5"}), json!({"initialPeriod": 0}), json!({"initialType": "push"})] {
            app.patch(&policy, &root, json!({"parameters": parameters})).await.expect(200);
            app.patch(&path, &root, json!({"label": "y"})).await.expect_error(422, "errors.invalidConfig");
        }
        app.patch(&path, &root, json!({"policyExtId": "oath-bad"})).await.expect_error(422, "errors.invalidConfig");
        assert_eq!(app.get(&path, &root).await.body["version"], 1);
        let fixed = app.patch(&path, &root, json!({"policyExtId": "default-OathPolicy", "label": "y"})).await.expect(200);
        assert_eq!((fixed.body["policyExtId"].as_str(), fixed.body["label"].as_str()), (Some("default-OathPolicy"), Some("y")));
    }

    /// A client may send back what it read: nothing changes, no version, no history.
    async fn echoing_what_was_read_changes_nothing(app) {
        let (_, path) = with_oath(&app).await;
        let root = app.root();
        let read = app.get(&path, &root).await.expect(200).body;
        assert_eq!(app.patch(&path, &root, read.clone()).await.expect(200).body, read);
        let mut with_null_uri = read.clone();
        with_null_uri["uri"] = Value::Null;
        app.patch(&path, &root, with_null_uri).await.expect(200);
        assert_eq!(app.history_len("acme", "jdoe", "o-1").await, 1);
    }

    /// `archived` may be set, and then the credential is read-only.
    async fn archived_is_terminal(app) {
        let (_, path) = with_oath(&app).await;
        let root = app.root();
        app.patch(&path, &root, json!({"stateName": "archived"})).await.expect(200);
        app.patch(&path, &root, json!({"label": "x"})).await.expect_error(422, "errors.modifyReadonlyData");
        app.patch(&path, &root, json!({"stateName": "active"})).await.expect_error(422, "errors.modifyReadonlyData");
        app.delete(&path, &root).await.expect(204);
    }

    /// If-Match: stale is 412, one that disagrees with the body version is 422.
    async fn if_match_is_honoured(app) {
        let (_, path) = with_oath(&app).await;
        let root = app.root();
        let send = |if_match: &str, body: Value| {
            request(Method::PATCH, &path, &root, &[("if-match", if_match), ("content-type", "application/merge-patch+json")], Some(body))
        };
        app.send(send("\"2\"", json!({"label": "x"}))).await.expect_error(412, "errors.optimisticLockingFailure");
        app.send(send("\"1\"", json!({"label": "x", "version": 2}))).await.expect_error(422, "errors.invalidData");
        assert_eq!(app.send(send("\"1\"", json!({"label": "x"}))).await.expect(200).body["version"], 2);
        let delete = request(Method::DELETE, &path, &root, &[("if-match", "\"1\"")], None);
        app.send(delete).await.expect_error(412, "errors.optimisticLockingFailure");
    }

    /// Unknown client, user or credential: 404 noRecord on every endpoint; DELETE is 204 once.
    async fn missing_things_are_404(app) {
        let (_, path) = with_oath(&app).await;
        let root = app.root();
        let gone = user_path("acme", "jdoe", "oath-credentials/nope");
        app.get(&gone, &root).await.expect_error(404, "errors.noRecord");
        app.patch(&gone, &root, json!({"label": "x"})).await.expect_error(404, "errors.noRecord");
        app.delete(&gone, &root).await.expect_error(404, "errors.noRecord");
        app.get(&user_path("acme", "nobody", LIST), &root).await.expect_error(404, "errors.noRecord");
        app.get(&user_path("nowhere", "jdoe", "oath-credentials/o-1"), &root).await.expect_error(404, "errors.noRecord");
        app.delete(&path, &root).await.expect(204);
        app.get(&path, &root).await.expect_error(404, "errors.noRecord");
        app.delete(&path, &root).await.expect_error(404, "errors.noRecord");
        app.call(Method::DELETE, &path, None, None).await.expect_error(401, "errors.unauthenticated");
    }

    /// Pages of 2 over 3 credentials, oldest first, only OATH, never a uri.
    async fn list_pages_without_uri(app) {
        app.client_with_user("acme", "jdoe").await;
        let list = user_path("acme", "jdoe", LIST);
        let root = app.root();
        for i in 1..=3 {
            app.post(&list, &root, json!({"extId": format!("o-{i}"), "label": format!("l{i}")})).await.expect(201);
        }
        app.post(&user_path("acme", "jdoe", "mtans"), &root, json!({"extId": "m-1", "mobileNumber": "+41791234567"})).await.expect(201);
        let first = app.get(&format!("{list}?limit=2"), &root).await.expect(200).body;
        let token = first["_pagination"]["continuationToken"].as_str().unwrap();
        let second = app.get(&format!("{list}?limit=2&continuationToken={token}"), &root).await.expect(200).body;
        assert!(second["_pagination"].get("continuationToken").is_none());
        let items: Vec<&Value> = first["items"].as_array().unwrap().iter().chain(second["items"].as_array().unwrap()).collect();
        let ids: Vec<&str> = items.iter().map(|i| i["extId"].as_str().unwrap()).collect();
        assert_eq!(ids, ["o-1", "o-2", "o-3"]);
        assert!(items.iter().all(|i| i.get("uri").is_none() && i["type"] == "OATH"));
        app.get(&format!("{list}?limit=x"), &root).await.expect_error(400, "errors.invalidData");
        app.call(Method::GET, &list, None, None).await.expect_error(401, "errors.unauthenticated");
    }

    /// Self-admin: create, PATCH and DELETE of one's own OATH credentials with an
    /// X-Token; refused without one (401) and on another user's (403).
    async fn self_admin(app) {
        let (_, path) = with_oath(&app).await;
        app.add_user("acme", "other").await;
        let root = app.root();
        let others = user_path("acme", "other", LIST);
        app.post(&others, &root, json!({"extId": "x-1", "label": "theirs"})).await.expect(201);
        let other_path = user_path("acme", "other", "oath-credentials/x-1");
        let list = user_path("acme", "jdoe", LIST);
        let me = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
        let x = app.x_token("acme", "jdoe");

        // Without X-Token: reads work, writes are 401.
        let read = app.get(&path, &me).await.expect(200).body;
        assert!(read.get("secret").is_none(), "self-admin does not see the ciphertext: {read}");
        app.get(&list, &me).await.expect(200);
        app.post(&list, &me, json!({"label": "mine"})).await.expect_error(401, "errors.unauthenticated");
        app.patch(&path, &me, json!({"label": "mine"})).await.expect_error(401, "errors.unauthenticated");
        app.delete(&path, &me).await.expect_error(401, "errors.unauthenticated");

        // Another user's credentials: 403, even with a valid X-Token.
        app.get(&other_path, &me).await.expect_error(403, "errors.permissionDenied");
        app.send(request(Method::POST, &others, &me, &[("x-token", &x)], Some(json!({"label": "mine"})))).await.expect_error(403, "errors.permissionDenied");
        app.send(request(Method::PATCH, &other_path, &me, &[("x-token", &x)], Some(json!({"label": "mine"})))).await.expect_error(403, "errors.permissionDenied");
        app.send(request(Method::DELETE, &other_path, &me, &[("x-token", &x)], None)).await.expect_error(403, "errors.permissionDenied");
        assert_eq!(app.get(&other_path, &root).await.expect(200).body["label"], "theirs");

        // One's own, with X-Token.
        let created = app.send(request(Method::POST, &list, &me, &[("x-token", &x)], Some(json!({"extId": "o-2", "label": "mine"})))).await.expect(201);
        assert!(created.body["uri"].as_str().unwrap().starts_with("otpauth://totp/"));
        let patched = app.send(request(Method::PATCH, &path, &me, &[("x-token", &x)], Some(json!({"label": "renamed", "stateName": "disabled"})))).await.expect(200);
        assert_eq!((patched.body["label"].as_str(), patched.body["stateChangeReason"].as_str()), (Some("renamed"), Some("changed-by-user")));
        app.send(request(Method::DELETE, &path, &me, &[("x-token", &x)], None)).await.expect(204);
        app.get(&path, &root).await.expect_error(404, "errors.noRecord");
    }

    /// 48 parallel PATCHes carrying the same version: exactly one wins.
    async fn parallel_patches_with_one_version(app) {
        let (_, path) = with_oath(&app).await;
        one_parallel_patch_wins(&app, &path, 1, 48, |i| json!({"label": format!("writer {i}")})).await;
        assert_eq!(app.history_len("acme", "jdoe", "o-1").await, 2);
    }

    /// Without a version, concurrent PATCHes of label and comment all apply: none is lost.
    async fn parallel_patches_without_version_lose_nothing(app) {
        let (_, path) = with_oath(&app).await;
        let root = app.root();
        let writers = 16;
        let requests = (0..writers).map(|i| {
            let body = if i % 2 == 0 { json!({"label": format!("label {i}")}) } else { json!({"modificationComment": format!("writer {i}")}) };
            app.patch(&path, &root, body)
        });
        let replies = join_all(requests).await;
        assert!(replies.iter().all(|r| r.status == 200), "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
        let end = app.get(&path, &root).await.body;
        assert_eq!(end["version"].as_i64().unwrap(), 1 + writers);
        assert_eq!(app.history_len("acme", "jdoe", "o-1").await as i64, 1 + writers);
    }

    /// create-oath asks only for a non-empty label: `Issuer:account`, the authenticator
    /// apps' own convention, is accepted and becomes the Key URI's issuer prefix and
    /// `issuer` parameter. A prefix naming another issuer than the policy's is 422.
    async fn issuer_prefixed_labels(app) {
        app.client_with_user("acme", "jdoe").await;
        let root = app.root();
        let list = user_path("acme", "jdoe", LIST);
        let reply = app.post(&list, &root, json!({"extId": "o-1", "label": "Big Corp: alice@bigco.com"})).await.expect(201);
        let uri = reply.body["uri"].as_str().unwrap();
        assert!(uri.starts_with("otpauth://totp/Big%20Corp:alice%40bigco.com?secret="), "{uri}");
        assert!(uri.contains("issuer=Big%20Corp"), "{uri}");
        let from_uri = Totp::from_url(uri).unwrap();
        assert_eq!((from_uri.issuer(), from_uri.account_name()), (Some("Big Corp"), "alice@bigco.com"));
        assert_eq!((reply.body["label"].as_str(), reply.body["issuer"].as_str()), (Some("Big Corp: alice@bigco.com"), Some("Big Corp")));

        app.add_policy("acme", "oath-acme", "OathPolicy", json!({"issuer": "ACME", "initialType": "hotp"})).await;
        let reply = app.post(&list, &root, json!({"extId": "o-2", "label": "ACME:jdoe", "policyExtId": "oath-acme"})).await.expect(201);
        let uri = reply.body["uri"].as_str().unwrap();
        assert!(uri.starts_with("otpauth://hotp/ACME:jdoe?secret=") && uri.contains("&issuer=ACME&"), "{uri}");
        let reply = app
            .post(&list, &root, json!({"extId": "o-3", "label": "Other:jdoe", "policyExtId": "oath-acme"}))
            .await
            .expect_error(422, "errors.invalidData");
        assert!(reply.body.to_string().contains("label"), "{}", reply.body);
        app.get(&format!("{list}/o-3"), &root).await.expect_error(404, "errors.noRecord");

        // A PATCH may rename the account, not move the credential to another issuer.
        let path = format!("{list}/o-2");
        app.patch(&path, &root, json!({"label": "ACME:work phone"})).await.expect(200);
        app.patch(&path, &root, json!({"label": "Other:work phone"})).await.expect_error(422, "errors.invalidData");
        let got = app.get(&path, &root).await.expect(200);
        assert_eq!((got.body["label"].as_str(), got.body["version"].as_i64()), (Some("ACME:work phone"), Some(2)));
    }

    /// get-oath and get-oath-credentials show `period` and `counter` for TOTP and HOTP
    /// credentials alike.
    async fn get_and_list_show_period_and_counter(app) {
        app.client_with_user("acme", "jdoe").await;
        let root = app.root();
        let list = user_path("acme", "jdoe", LIST);
        app.add_policy("acme", "oath-hotp", "OathPolicy", json!({"initialType": "hotp", "initialPeriod": 45})).await;
        app.post(&list, &root, json!({"extId": "totp", "label": "a"})).await.expect(201);
        app.post(&list, &root, json!({"extId": "hotp", "label": "b", "policyExtId": "oath-hotp"})).await.expect(201);
        for (ext_id, period) in [("totp", 30), ("hotp", 45)] {
            let got = app.get(&format!("{list}/{ext_id}"), &root).await.expect(200).body;
            assert_eq!((got["period"].as_u64(), got["counter"].as_u64()), (Some(period), Some(0)), "{got}");
        }
        let page = app.get(&list, &root).await.expect(200).body;
        for item in page["items"].as_array().unwrap() {
            assert!(item["period"].is_u64() && item["counter"].is_u64(), "{item}");
        }
    }
}
