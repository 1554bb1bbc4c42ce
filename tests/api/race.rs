//! Optimistic locking under real concurrency.

use futures_util::future::join_all;
use serde_json::json;

use crate::support::user_path;

both_stores! {
    /// 48 parallel PATCHes carrying the same version: exactly one wins.
    async fn parallel_patches_with_one_version(app) {
        app.client_with_user("acme", "jdoe").await;
        let path = user_path("acme", "jdoe", "ticket");
        let root = app.root();
        app.post(&path, &root, json!({"extId": "t-1"})).await.expect(201);
        let start = app.get(&path, &root).await.body["version"].as_i64().unwrap();
        let requests = (0..48).map(|i| {
            app.patch(&path, &root, json!({"modificationComment": format!("writer {i}"), "version": start}))
        });
        let replies = join_all(requests).await;
        let ok = replies.iter().filter(|r| r.status == 200).count();
        let conflicts = replies
            .iter()
            .filter(|r| r.status == 409 && r.code() == "errors.optimisticLockingFailure")
            .count();
        assert_eq!((ok, conflicts), (1, 47), "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
        let end = app.get(&path, &root).await.body;
        assert_eq!(end["version"].as_i64().unwrap(), start + 1);
        assert_eq!(app.history_len("acme", "jdoe", "t-1").await, 2);
    }

    /// Without a version, concurrent PATCHes of different fields all apply: none is lost.
    async fn parallel_patches_without_version_lose_nothing(app) {
        app.client_with_user("acme", "jdoe").await;
        let path = user_path("acme", "jdoe", "ticket");
        let root = app.root();
        app.post(&path, &root, json!({"extId": "t-1"})).await.expect(201);
        let writers = 16;
        let requests = (0..writers).map(|i| {
            app.patch(&path, &root, json!({"modificationComment": format!("writer {i}")}))
        });
        let replies = join_all(requests).await;
        assert!(replies.iter().all(|r| r.status == 200), "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
        let end = app.get(&path, &root).await.body;
        assert_eq!(end["version"].as_i64().unwrap(), 1 + writers);
        assert_eq!(app.history_len("acme", "jdoe", "t-1").await as i64, 1 + writers);
    }
}
