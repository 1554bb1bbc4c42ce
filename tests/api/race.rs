//! Optimistic locking under real concurrency (issue 4, part 1), on both stores. The same
//! workload runs against two server processes in `tests/reliability/load.rs`.

use axum::http::Method;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::support::{TestApp, user_path};
use crate::workload::{self, Client, Until};

/// The workload's client: the real router, in process, as Root.
struct InProcess<'a> {
    app: &'a TestApp,
    token: String,
}

impl Client for InProcess<'_> {
    async fn call(&self, method: &'static str, path: String, body: Option<Value>) -> (u16, Value) {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let reply = self.app.call(method, &path, Some(&self.token), body).await;
        (reply.status.as_u16(), reply.body)
    }
}

both_stores! {
    /// 64 parallel PATCHes carrying the same version: exactly one 200, 63 x 409, one
    /// new version and one new history row.
    async fn parallel_patches_with_one_version(app) {
        let client = InProcess { app: &app, token: app.root() };
        let targets = workload::seed(&client, 1, 1).await;
        for target in &targets {
            workload::same_version_race(&client, target, 64).await;
        }
    }

    /// Without a version, concurrent PATCHes all apply: none is lost, and none gives up.
    /// 64 writers of one credential read the same version at once; each round of
    /// optimistic writes lets one through, so a PATCH that only retried the optimistic way
    /// would need up to 64 rounds (it gave up after 16 with a 409).
    async fn parallel_patches_without_version_lose_nothing(app) {
        app.client_with_user("acme", "jdoe").await;
        let path = user_path("acme", "jdoe", "ticket");
        let root = app.root();
        app.post(&path, &root, json!({"extId": "t-1"})).await.expect(201);
        let writers = 64;
        let requests = (0..writers).map(|i| {
            app.patch(&path, &root, json!({"modificationComment": format!("writer {i}")}))
        });
        let replies = join_all(requests).await;
        assert!(replies.iter().all(|r| r.status == 200), "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
        let end = app.get(&path, &root).await.body;
        assert_eq!(end["version"].as_i64().unwrap(), 1 + writers);
        assert_eq!(app.history_len("acme", "jdoe", "t-1").await as i64, 1 + writers);
    }

    /// 2,000 PATCHes without a version over 50 credentials (password, ticket, mTAN) by
    /// 32 concurrent clients: every one is acknowledged, and each credential's version
    /// and history match its acknowledged PATCHes one to one.
    async fn two_thousand_patches_over_fifty_credentials(app) {
        let client = InProcess { app: &app, token: app.root() };
        let targets = workload::seed(&client, 10, 3).await;
        assert_eq!(targets.len(), 50);
        let tally = workload::hammer(&client, &targets, 32, "load", Until::Count(2000)).await;
        assert_eq!(tally.ok(), 2000, "{:?}", tally.statuses);
        let audit = workload::audit(&client, &targets, &tally).await;
        assert_eq!((audit.writes, audit.acknowledged, audit.unacknowledged), (2000, 2000, 0));
    }
}
