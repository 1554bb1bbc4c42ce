//! mTAN credentials: seed 000 and the endpoints around it (login results: mtan_login.rs).

use axum::body::Body;
use axum::http::Request;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::support::{TestApp, user_path};

const NUMBER: &str = "+41 79 123 45 67";

/// Client acme, user jdoe with mTAN m-1; returns the credential's path.
async fn with_mtan(app: &TestApp) -> String {
    app.client_with_user("acme", "jdoe").await;
    let reply = app
        .post(
            &user_path("acme", "jdoe", "mtans"),
            &app.root(),
            json!({"extId": "m-1", "mobileNumber": NUMBER}),
        )
        .await
        .expect(201);
    assert_eq!(reply.body["extId"], "m-1");
    user_path("acme", "jdoe", "mtans/m-1")
}

both_stores! {
    /// Create: 201, Location, ETag, the seed's DTO with mobileNumber as {raw, e164}.
    async fn create_returns_the_full_dto(app) {
        app.client_with_user("acme", "jdoe").await;
        let list = user_path("acme", "jdoe", "mtans");
        let reply = app.post(&list, &app.root(), json!({"extId": "m 1", "mobileNumber": NUMBER})).await.expect(201);
        assert_eq!(reply.header("location"), Some("/nevisidm/api/core/v1/acme/users/jdoe/mtans/m%201"));
        assert_eq!(reply.header("etag"), Some("\"1\""));
        let body = &reply.body;
        assert_eq!(body["mobileNumber"], json!({"raw": NUMBER, "e164": "+41791234567"}));
        assert_eq!(body["type"], "mTan");
        assert_eq!(body["stateName"], "active");
        assert_eq!(body["stateChangeReason"], "activated");
        assert_eq!(body["policyExtId"], "default-TANPolicy");
        assert_eq!(body["userExtId"], "jdoe");
        assert_eq!((body["version"].as_i64(), body["successfulLoginCount"].as_i64(), body["failedLoginCount"].as_i64()), (Some(1), Some(0), Some(0)));
        for field in ["created", "lastModified", "validity"] {
            assert!(body.get(field).is_some(), "missing {field} in {body}");
        }
        let got = app.get(&user_path("acme", "jdoe", "mtans/m%201"), &app.root()).await.expect(200);
        assert_eq!(&got.body, body);
        assert_eq!(app.history_len("acme", "jdoe", "m%201").await, 1);
    }

    /// Without extId the server generates one; stateName and a TANPolicy may be given.
    async fn create_with_generated_id_state_and_policy(app) {
        app.client_with_user("acme", "jdoe").await;
        app.add_policy("acme", "tan-strict", "TANPolicy", json!({"maxCredFailureCount": 5})).await;
        let body = json!({"mobileNumber": "+36201234567", "stateName": "initial", "policyExtId": "tan-strict"});
        let reply = app.post(&user_path("acme", "jdoe", "mtans"), &app.root(), body).await.expect(201);
        let ext_id = reply.body["extId"].as_str().unwrap();
        assert_eq!(ext_id.len(), 36, "a UUID: {ext_id}");
        assert!(reply.header("location").unwrap().ends_with(&format!("/mtans/{ext_id}")));
        assert_eq!(reply.body["stateName"], "initial");
        assert_eq!(reply.body["stateChangeReason"], "initialized");
        assert_eq!(reply.body["policyExtId"], "tan-strict");
        assert_eq!(reply.body["mobileNumber"]["e164"], "+36201234567");
    }

    /// Several mTANs per user; a taken extId is 409 duplicateValue.
    async fn several_per_user_but_unique_ext_ids(app) {
        with_mtan(&app).await;
        let list = user_path("acme", "jdoe", "mtans");
        let root = app.root();
        app.post(&list, &root, json!({"extId": "m-2", "mobileNumber": NUMBER})).await.expect(201);
        app.post(&list, &root, json!({"extId": "m-1", "mobileNumber": "+41791234568"}))
            .await
            .expect_error(409, "errors.duplicateValue");
    }

    /// Bad numbers are 422 mtanFormatE164Violated; missing or mistyped ones invalidData.
    async fn create_validates_the_number(app) {
        app.client_with_user("acme", "jdoe").await;
        let list = user_path("acme", "jdoe", "mtans");
        let root = app.root();
        for bad in ["079 123 45 67", "+41 12", "hello", ""] {
            app.post(&list, &root, json!({"mobileNumber": bad})).await.expect_error(422, "errors.mtanFormatE164Violated");
        }
        for body in [json!({}), json!({"mobileNumber": null}), json!({"mobileNumber": 41791234567_i64}),
            json!({"mobileNumber": NUMBER, "bogus": 1}), json!({"mobileNumber": NUMBER, "stateName": "archived"})] {
            app.post(&list, &root, body).await.expect_error(422, "errors.invalidData");
        }
        let listed = app.get(&list, &root).await.expect(200);
        assert_eq!(listed.body["items"], json!([]));
    }

    /// policyExtId must name a TANPolicy of the client.
    async fn create_policy_rules(app) {
        app.client_with_user("acme", "jdoe").await;
        let list = user_path("acme", "jdoe", "mtans");
        let root = app.root();
        app.post(&list, &root, json!({"mobileNumber": NUMBER, "policyExtId": "default-PwdPolicy"}))
            .await
            .expect_error(422, "errors.policyViolation");
        app.post(&list, &root, json!({"mobileNumber": NUMBER, "policyExtId": "nope"}))
            .await
            .expect_error(422, "errors.missingReferenceData");
    }

    /// PATCH (seed 000): number, state and comment, each a versioned change with history.
    async fn patch_changes_number_state_and_comment(app) {
        let path = with_mtan(&app).await;
        let root = app.root();
        let reply = app.patch(&path, &root, json!({"mobileNumber": "+41-79-765-43-21", "version": 1})).await.expect(200);
        assert_eq!(reply.body["mobileNumber"], json!({"raw": "+41-79-765-43-21", "e164": "+41797654321"}));
        assert_eq!(reply.header("etag"), Some("\"2\""));
        let reply = app.patch(&path, &root, json!({"stateName": "disabled", "modificationComment": "lost phone"})).await.expect(200);
        assert_eq!(reply.body["stateName"], "disabled");
        assert_eq!(reply.body["stateChangeReason"], "changed-by-admin");
        assert_eq!(reply.body["modificationComment"], "lost phone");
        assert_eq!(reply.body["version"], 3);
        let cleared = app.patch(&path, &root, json!({"modificationComment": null})).await.expect(200);
        assert!(cleared.body.get("modificationComment").is_none());
        assert_eq!(app.history_len("acme", "jdoe", "m-1").await, 4);
    }

    /// A PATCH that changes nothing leaves version and history alone; a client may send
    /// back what it read, mobileNumber object included.
    async fn echoing_what_was_read_changes_nothing(app) {
        let path = with_mtan(&app).await;
        let root = app.root();
        let read = app.get(&path, &root).await.expect(200).body;
        let same = app.patch(&path, &root, read.clone()).await.expect(200);
        assert_eq!(same.body, read);
        let mut other = read.clone();
        other["mobileNumber"]["e164"] = json!("+41790000000");
        app.patch(&path, &root, other).await.expect_error(422, "errors.invalidData");
        let mut changed = read.clone();
        changed["successfulLoginCount"] = json!(5);
        app.patch(&path, &root, changed).await.expect_error(422, "errors.modifyReadonlyData");
        assert_eq!(app.get(&path, &root).await.body["version"], 1);
        assert_eq!(app.history_len("acme", "jdoe", "m-1").await, 1);
    }

    /// Every refused PATCH body, each with its code; nothing changes.
    async fn patch_errors(app) {
        let path = with_mtan(&app).await;
        let root = app.root();
        app.patch(&path, &root, json!({"mobileNumber": "0791234567"})).await.expect_error(422, "errors.mtanFormatE164Violated");
        app.patch(&path, &root, json!({"mobileNumber": null})).await.expect_error(422, "errors.invalidData");
        app.patch(&path, &root, json!({"mobileNumber": 41})).await.expect_error(422, "errors.invalidData");
        app.patch(&path, &root, json!({"stateName": "archived"})).await.expect_error(422, "errors.invalidData");
        app.patch(&path, &root, json!({"stateName": null})).await.expect_error(422, "errors.invalidData");
        app.patch(&path, &root, json!({"label": "x"})).await.expect_error(422, "errors.invalidData");
        app.patch(&path, &root, json!({"policyExtId": "other"})).await.expect_error(422, "errors.modifyReadonlyData");
        app.patch(&path, &root, json!({"stateName": "disabled", "version": 7})).await.expect_error(409, "errors.optimisticLockingFailure");
        let body = app.get(&path, &root).await.expect(200).body;
        assert_eq!((body["version"].as_i64(), body["stateName"].as_str()), (Some(1), Some("active")));
    }

    /// If-Match: stale is 412, current and * succeed.
    async fn if_match_is_honoured(app) {
        let path = with_mtan(&app).await;
        let root = app.root();
        let send = |if_match: &'static str, body: Value| {
            Request::patch(path.as_str())
                .header("authorization", format!("Bearer {root}"))
                .header("content-type", "application/merge-patch+json")
                .header("if-match", if_match)
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        app.send(send("\"2\"", json!({"stateName": "disabled"}))).await.expect_error(412, "errors.optimisticLockingFailure");
        assert_eq!(app.send(send("\"1\"", json!({"stateName": "disabled"}))).await.expect(200).body["version"], 2);
        assert_eq!(app.send(send("*", json!({"stateName": "active"}))).await.expect(200).body["version"], 3);
        let delete = Request::delete(path.as_str())
            .header("authorization", format!("Bearer {root}"))
            .header("if-match", "\"1\"")
            .body(Body::empty())
            .unwrap();
        app.send(delete).await.expect_error(412, "errors.optimisticLockingFailure");
    }

    /// Unknown client, user or mTAN: 404 noRecord on every endpoint.
    async fn missing_things_are_404(app) {
        let path = with_mtan(&app).await;
        let root = app.root();
        let gone = user_path("acme", "jdoe", "mtans/nope");
        app.get(&gone, &root).await.expect_error(404, "errors.noRecord");
        app.patch(&gone, &root, json!({"stateName": "disabled"})).await.expect_error(404, "errors.noRecord");
        app.post(&gone, &root, json!({"success": true})).await.expect_error(404, "errors.noRecord");
        app.delete(&gone, &root).await.expect_error(404, "errors.noRecord");
        app.get(&user_path("acme", "nobody", "mtans"), &root).await.expect_error(404, "errors.noRecord");
        app.post(&user_path("acme", "nobody", "mtans"), &root, json!({"mobileNumber": NUMBER})).await.expect_error(404, "errors.noRecord");
        app.get(&user_path("nowhere", "jdoe", "mtans/m-1"), &root).await.expect_error(404, "errors.noRecord");
        app.delete(&path, &root).await.expect(204);
        app.get(&path, &root).await.expect_error(404, "errors.noRecord");
        app.delete(&path, &root).await.expect_error(404, "errors.noRecord");
    }

    /// Pages of 2 over 5 mTANs: tokens chain, no duplicates, no gaps, oldest first.
    async fn pagination_chains(app) {
        app.client_with_user("acme", "jdoe").await;
        let list = user_path("acme", "jdoe", "mtans");
        let root = app.root();
        let mut created = Vec::new();
        for i in 0..5 {
            let reply = app.post(&list, &root, json!({"extId": format!("m_{i}"), "mobileNumber": NUMBER})).await.expect(201);
            created.push(reply.body["extId"].as_str().unwrap().to_owned());
        }
        // A credential of another type is not listed.
        app.post(&user_path("acme", "jdoe", "ticket"), &root, json!({})).await.expect(201);
        let mut seen = Vec::new();
        let mut url = format!("{list}?limit=2");
        let mut pages = 0;
        loop {
            let page = app.get(&url, &root).await.expect(200).body;
            pages += 1;
            assert_eq!(page["_pagination"]["limit"], 2);
            let items = page["items"].as_array().unwrap();
            assert!(items.iter().all(|c| c["type"] == "mTan"));
            seen.extend(items.iter().map(|c| c["extId"].as_str().unwrap().to_owned()));
            let Some(token) = page["_pagination"]["continuationToken"].as_str() else { break };
            let last = items.last().unwrap();
            let (millis, ext_id) = token.split_once('_').unwrap();
            assert_eq!(ext_id, last["extId"].as_str().unwrap());
            assert!(millis.parse::<i64>().is_ok(), "{token}");
            url = format!("{list}?limit=2&continuationToken={token}");
            assert!(pages < 5, "pagination does not end");
        }
        assert_eq!(pages, 3);
        let mut expected = created.clone();
        expected.sort();
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(sorted, expected, "no duplicates, no gaps");
        let all = app.get(&list, &root).await.expect(200).body;
        assert_eq!(all["items"].as_array().unwrap().len(), 5);
        assert_eq!(all["_pagination"]["limit"], 1000, "no limit asked: the longest page");
        assert!(all["_pagination"].get("continuationToken").is_none());
    }

    /// A malformed token or limit is 400 invalidData.
    async fn bad_list_queries_are_400(app) {
        with_mtan(&app).await;
        let list = user_path("acme", "jdoe", "mtans");
        let root = app.root();
        for query in ["continuationToken=garbage", "continuationToken=12_", "continuationToken=x_m-1",
            "limit=abc", "limit=-1", "limit=100000"] {
            app.get(&format!("{list}?{query}"), &root).await.expect_error(400, "errors.invalidData");
        }
    }

    /// Self-admin reads their own mTANs and deletes one with an X-Token, nobody else's.
    async fn self_admin(app) {
        let path = with_mtan(&app).await;
        app.add_user("acme", "other").await;
        let root = app.root();
        app.post(&user_path("acme", "other", "mtans"), &root, json!({"extId": "o-1", "mobileNumber": NUMBER})).await.expect(201);
        let me = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
        assert_eq!(app.get(&path, &me).await.expect(200).body["extId"], "m-1");
        app.get(&user_path("acme", "jdoe", "mtans"), &me).await.expect(200);
        app.get(&user_path("acme", "other", "mtans/o-1"), &me).await.expect_error(403, "errors.permissionDenied");
        app.patch(&path, &me, json!({"stateName": "disabled"})).await.expect_error(403, "errors.permissionDenied");
        app.post(&path, &me, json!({"success": true})).await.expect_error(403, "errors.permissionDenied");
        app.post(&user_path("acme", "jdoe", "mtans"), &me, json!({"mobileNumber": NUMBER})).await.expect_error(403, "errors.permissionDenied");
        app.delete(&path, &me).await.expect_error(401, "errors.unauthenticated");
        let delete_with_x_token = |path: String| {
            Request::delete(path.as_str())
                .header("authorization", format!("Bearer {me}"))
                .header("x-token", app.x_token("acme", "jdoe"))
                .body(Body::empty())
                .unwrap()
        };
        app.send(delete_with_x_token(user_path("acme", "other", "mtans/o-1"))).await.expect_error(403, "errors.permissionDenied");
        app.get(&user_path("acme", "other", "mtans/o-1"), &root).await.expect(200);
        app.send(delete_with_x_token(path.clone())).await.expect(204);
        app.get(&path, &root).await.expect_error(404, "errors.noRecord");
    }

    /// 48 parallel PATCHes carrying the same version: exactly one wins.
    async fn parallel_patches_with_one_version(app) {
        let path = with_mtan(&app).await;
        let root = app.root();
        let requests = (0..48).map(|i| {
            app.patch(&path, &root, json!({"modificationComment": format!("writer {i}"), "version": 1}))
        });
        let replies = join_all(requests).await;
        let ok = replies.iter().filter(|r| r.status == 200).count();
        let conflicts = replies
            .iter()
            .filter(|r| r.status == 409 && r.code() == "errors.optimisticLockingFailure")
            .count();
        assert_eq!((ok, conflicts), (1, 47), "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
        assert_eq!(app.get(&path, &root).await.body["version"], 2);
        assert_eq!(app.history_len("acme", "jdoe", "m-1").await, 2);
    }
}
