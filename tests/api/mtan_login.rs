//! mTAN login results (`POST .../mtans/{extId}`): counters, dates, automatic locking.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::support::{TestApp, user_path};

/// Client acme, user jdoe with mTAN m-1 (on `policy` when given); returns its path.
async fn with_mtan(app: &TestApp, policy: Option<&str>) -> String {
    app.client_with_user("acme", "jdoe").await;
    let mut body = json!({"extId": "m-1", "mobileNumber": "+41791234567"});
    if let Some(policy) = policy {
        app.add_policy(
            "acme",
            policy,
            "TANPolicy",
            json!({"tmpLockingThreshold": -1, "maxCredFailureCount": -1}),
        )
        .await;
        body["policyExtId"] = json!(policy);
    }
    app.post(&user_path("acme", "jdoe", "mtans"), &app.root(), body)
        .await
        .expect(201);
    user_path("acme", "jdoe", "mtans/m-1")
}

async fn login(app: &TestApp, path: &str, success: bool) -> Value {
    app.post(path, &app.root(), json!({"success": success}))
        .await
        .expect(200)
        .body
}

both_stores! {
    /// Success and failure move counters and dates, never version or lastModified.
    async fn results_move_counters_not_version(app) {
        let path = with_mtan(&app, None).await;
        let before = app.get(&path, &app.root()).await.body;
        let ok = login(&app, &path, true).await;
        assert_eq!((ok["successfulLoginCount"].as_i64(), ok["failedLoginCount"].as_i64()), (Some(1), Some(0)));
        assert!(ok["lastSuccessfulLoginDate"].is_string());
        assert!(ok.get("lastFailedLoginDate").is_none());
        let failed = login(&app, &path, false).await;
        assert_eq!((failed["successfulLoginCount"].as_i64(), failed["failedLoginCount"].as_i64()), (Some(1), Some(1)));
        assert!(failed["lastFailedLoginDate"].is_string());
        assert_eq!(failed["stateName"], "active");
        let again = login(&app, &path, true).await;
        assert_eq!((again["successfulLoginCount"].as_i64(), again["failedLoginCount"].as_i64()), (Some(2), Some(0)));
        assert!(again["lastFailedLoginDate"].is_string(), "the date of the last failure stays");
        let after = app.get(&path, &app.root()).await.body;
        assert_eq!(after, again);
        assert_eq!(after["version"], before["version"]);
        assert_eq!(after["lastModified"], before["lastModified"]);
        assert_eq!(app.history_len("acme", "jdoe", "m-1").await, 1);
    }

    /// Default TANPolicy: the 2nd failure tmp-locks (a versioned change with a history
    /// row of action `lock`); results while locked are refused and count nothing. An
    /// admin unlock starts the count afresh.
    async fn failures_lock_by_the_policy(app) {
        let path = with_mtan(&app, None).await;
        let first = login(&app, &path, false).await;
        assert_eq!((first["stateName"].as_str(), first["version"].as_i64()), (Some("active"), Some(1)));
        let second = login(&app, &path, false).await;
        assert_eq!(second["stateName"], "tmp-locked");
        assert_eq!(second["stateChangeReason"], "too-many-login-failures");
        assert_eq!((second["version"].as_i64(), second["failedLoginCount"].as_i64()), (Some(2), Some(2)));
        assert_eq!(app.history_len("acme", "jdoe", "m-1").await, 2);
        for success in [false, true] {
            let refused = login(&app, &path, success).await;
            assert_eq!(refused, second, "a result for a locked credential counts nothing");
        }
        assert_eq!(app.history_len("acme", "jdoe", "m-1").await, 2);

        let history = app.get(&user_path("acme", "jdoe", "credentials/m-1/history"), &app.root()).await.expect(200).body;
        let lock = &history["items"][1];
        assert_eq!(lock["action"], "lock");
        assert_eq!(lock["actor"], "root-admin");
        assert!(lock["changes"].as_array().unwrap().iter().any(|c| c["field"] == "stateName" && c["new"] == "tmp-locked"));

        let unlocked = app.patch(&path, &app.root(), json!({"stateName": "active"})).await.expect(200);
        assert_eq!(unlocked.body["stateChangeReason"], "unlock");
        assert_eq!(unlocked.body["failedLoginCount"], 0);
        assert_eq!(login(&app, &path, false).await["stateName"], "active");
    }

    /// A temporary lock ends by itself after `tmpLockingDuration`: a read shows the
    /// credential active again (no background job), and in `strict` mode the next
    /// failure (the 3rd, `maxCredFailureCount`) locks it for good. Both automatic
    /// changes are in the history (`unlock`, `lock`).
    async fn a_temporary_lock_ends_by_itself(app) {
        app.client_with_user("acme", "jdoe").await;
        app.add_policy("acme", "tan-short", "TANPolicy", json!({"tmpLockingDuration": 300})).await;
        let path = user_path("acme", "jdoe", "mtans/m-1");
        app.post(&user_path("acme", "jdoe", "mtans"), &app.root(),
            json!({"extId": "m-1", "mobileNumber": "+41791234567", "policyExtId": "tan-short"})).await.expect(201);
        login(&app, &path, false).await;
        assert_eq!(login(&app, &path, false).await["stateName"], "tmp-locked");
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let read = app.get(&path, &app.root()).await.expect(200).body;
        assert_eq!((read["stateName"].as_str(), read["stateChangeReason"].as_str()), (Some("active"), Some("unlock")));
        let third = login(&app, &path, false).await;
        assert_eq!((third["stateName"].as_str(), third["failedLoginCount"].as_i64(), third["version"].as_i64()),
            (Some("fail-locked"), Some(3), Some(4)));
        let history = app.get(&user_path("acme", "jdoe", "credentials/m-1/history"), &app.root()).await.expect(200).body;
        let actions: Vec<&str> = history["items"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["create", "lock", "unlock", "lock"]);
    }

    /// -1 switches both thresholds off.
    async fn locking_can_be_switched_off(app) {
        let path = with_mtan(&app, Some("tan-no-lock")).await;
        for _ in 0..5 {
            login(&app, &path, false).await;
        }
        let body = app.get(&path, &app.root()).await.body;
        assert_eq!((body["stateName"].as_str(), body["failedLoginCount"].as_i64(), body["version"].as_i64()),
            (Some("active"), Some(5), Some(1)));
    }

    /// 20 concurrent results, successes and failures: no increment is lost.
    async fn concurrent_results_lose_nothing(app) {
        let path = with_mtan(&app, Some("tan-no-lock")).await;
        let root = app.root();
        let replies = join_all((0..20).map(|_| app.post(&path, &root, json!({"success": true})))).await;
        assert!(replies.iter().all(|r| r.status == 200), "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
        let replies = join_all((0..20).map(|_| app.post(&path, &root, json!({"success": false})))).await;
        assert!(replies.iter().all(|r| r.status == 200));
        let body = app.get(&path, &root).await.body;
        assert_eq!((body["successfulLoginCount"].as_i64(), body["failedLoginCount"].as_i64(), body["version"].as_i64()),
            (Some(20), Some(20), Some(1)));
    }

    /// PATCHes racing with login results: every PATCH applies and no increment is lost
    /// (a PATCH never writes back the counters it read).
    async fn patches_racing_login_results_lose_nothing(app) {
        let path = with_mtan(&app, Some("tan-no-lock")).await;
        let root = app.root();
        let logins = (0..20).map(|_| app.post(&path, &root, json!({"success": true})));
        let patches = (0..10).map(|i| app.patch(&path, &root, json!({"modificationComment": format!("edit {i}")})));
        let (logins, patches) = futures_util::future::join(join_all(logins), join_all(patches)).await;
        assert!(logins.iter().chain(patches.iter()).all(|r| r.status == 200));
        let body = app.get(&path, &root).await.body;
        assert_eq!(body["successfulLoginCount"].as_i64(), Some(20), "{body}");
        assert_eq!(body["version"].as_i64(), Some(11), "{body}");
    }

    /// 20 concurrent failures under the default policy: exactly 2 count, the 2nd
    /// tmp-locks, the other 18 are refused (nothing lost, nothing counted twice).
    async fn concurrent_failures_lock_once(app) {
        let path = with_mtan(&app, None).await;
        let root = app.root();
        let replies = join_all((0..20).map(|_| app.post(&path, &root, json!({"success": false})))).await;
        assert!(replies.iter().all(|r| r.status == 200), "{:?}", replies.iter().map(|r| (r.status, r.body.clone())).collect::<Vec<_>>());
        let body = app.get(&path, &root).await.body;
        assert_eq!(body["failedLoginCount"], 2);
        assert_eq!(body["stateName"], "tmp-locked");
        assert_eq!(body["version"], 2);
        assert_eq!(app.history_len("acme", "jdoe", "m-1").await, 2);
    }

    /// The body is {"success": boolean}, nothing else.
    async fn bad_bodies_are_422(app) {
        let path = with_mtan(&app, None).await;
        let root = app.root();
        for body in [json!({}), json!({"success": "yes"}), json!({"success": null}), json!({"success": true, "extra": 1}), json!([true])] {
            app.post(&path, &root, body).await.expect_error(422, "errors.invalidData");
        }
        let body = app.get(&path, &root).await.body;
        assert_eq!((body["successfulLoginCount"].as_i64(), body["failedLoginCount"].as_i64()), (Some(0), Some(0)));
    }
}
