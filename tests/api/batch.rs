//! PostgreSQL's PATCH write batches (`store::write_batch`): concurrent PATCHes share
//! statements, each keeps its own outcome, and a batch that fails as a whole is rerun one
//! write at a time so only the PATCH at fault fails. Its read batches
//! (`store::read_batch`): concurrent reads share statements, each answered with its own
//! credential or none.

use std::time::Duration;

use axum::http::Method;
use futures_util::future::join_all;
use idm_credentials::store::postgres::PgStore;
use idm_credentials::store::{Pool, ReadBatchStats, Store, WriteBatchStats};
use serde_json::json;
use sqlx::Connection;

use crate::support::{TestApp, user_path};

fn stats(app: &TestApp) -> WriteBatchStats {
    app.store
        .write_batch_stats()
        .expect("a PostgreSQL store batches its writes")
}

/// Waits (at most 10 s) until the batches reach `done`.
async fn until(app: &TestApp, what: &str, done: impl Fn(WriteBatchStats) -> bool) {
    for _ in 0..1000 {
        if done(stats(app)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what}: {:?}", stats(app));
}

/// `/metrics` shows the counter `name` at `value`.
async fn assert_metric(app: &TestApp, name: &str, value: u64) {
    let metrics = app
        .call(Method::GET, "/metrics", None, None)
        .await
        .expect(200);
    let text = metrics.body.as_str().unwrap();
    assert!(text.contains(&format!("{name} {value}")), "{text}");
}

/// Client `acme` with `users` users `u<i>`, each with a ticket `t-<i>`: their paths.
pub async fn with_tickets(app: &TestApp, users: usize) -> Vec<String> {
    app.client_with_user("acme", "u0").await;
    let root = app.root();
    let mut paths = Vec::new();
    for i in 0..users {
        let user = format!("u{i}");
        if i > 0 {
            app.add_user("acme", &user).await;
        }
        let path = user_path("acme", &user, "ticket");
        app.post(&path, &root, json!({"extId": format!("t-{i}")}))
            .await
            .expect(201);
        paths.push(path);
    }
    paths
}

async fn ticket_policy(app: &TestApp, ext_id: &str) {
    app.add_policy(
        "acme",
        ext_id,
        "TicketPolicy",
        json!({"credentialLifetime": "60000"}),
    )
    .await;
}

/// A connection of its own, beside the app's (small) test pool.
async fn connection(app: &TestApp) -> sqlx::PgConnection {
    let options = match &app.store {
        Store::Postgres(pool) => pool.sqlx().connect_options(),
        Store::Sqlite(_) => unreachable!("PostgreSQL only"),
    };
    sqlx::PgConnection::connect_with(&options).await.unwrap()
}

/// 32 PATCHes of 32 credentials at once: fewer statements than PATCHes, and every PATCH
/// written with its own fields, version and history row, as if alone. Two more PATCHes
/// of one credential in the same wave: the second waits for a later batch and re-applies.
#[sqlx::test(migrations = false)]
async fn concurrent_patches_share_statements(pool: sqlx::PgPool) {
    let app = TestApp::new(Store::from(pool)).await;
    let paths = with_tickets(&app, 32).await;
    ticket_policy(&app, "short-tickets").await;
    let root = app.root();
    let before = stats(&app);
    // Every kind of field a batch row carries: comment, validity, state, policy.
    let change = |i: usize| match i % 4 {
        0 => json!({"modificationComment": format!("wave {i}")}),
        1 => {
            json!({"validity": {"from": "2030-01-01T00:00:00Z", "to": format!("2031-01-{:02}T00:00:00.123456789Z", i % 28 + 1)}})
        }
        2 => json!({"stateName": "disabled", "modificationComment": format!("off {i}")}),
        _ => json!({"policyExtId": "short-tickets"}),
    };
    let mut requests: Vec<_> = paths
        .iter()
        .enumerate()
        .map(|(i, path)| app.patch(path, &root, change(i)))
        .collect();
    requests.push(app.patch(&paths[0], &root, json!({"identification": "again"})));
    let replies = join_all(requests).await;
    assert!(
        replies.iter().all(|r| r.status == 200),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );

    let after = stats(&app);
    let (statements, rows) = (
        after.statements - before.statements,
        after.rows - before.rows,
    );
    assert!(rows >= 33, "every PATCH is written: {rows} rows");
    assert!(
        statements < 33,
        "concurrent PATCHes share statements: {statements} for {rows} rows"
    );
    assert_eq!(after.splits, 0);

    for (i, path) in paths.iter().enumerate() {
        let got = app.get(path, &root).await.expect(200).body;
        match i % 4 {
            0 => assert_eq!(got["modificationComment"], format!("wave {i}")),
            1 => {
                assert_eq!(got["validity"]["from"], "2030-01-01T00:00:00Z");
                assert_eq!(
                    got["validity"]["to"],
                    format!("2031-01-{:02}T00:00:00Z", i % 28 + 1)
                );
            }
            2 => assert_eq!(
                (
                    got["stateName"].as_str(),
                    got["modificationComment"].as_str()
                ),
                (Some("disabled"), Some(format!("off {i}").as_str()))
            ),
            _ => assert_eq!(got["policyExtId"], "short-tickets"),
        }
        let writes = if i == 0 { 2 } else { 1 };
        assert_eq!(got["version"], 1 + writes, "{got}");
        assert_eq!(
            app.history_len("acme", &format!("u{i}"), &format!("t-{i}"))
                .await,
            1 + writes as usize
        );
    }
    assert_eq!(
        app.get(&paths[0], &root).await.body["identification"],
        "again"
    );

    assert_metric(&app, "idm_db_write_batch_rows_total", after.rows).await;
}

/// PATCHes `queued` (ticket number, body) so that they wait in the queue together: both
/// batch runners are first held in the database on the rows of tickets 0 and 1 (whose
/// PATCHes they run); once all of `queued` wait, `meanwhile` (SQL) runs and the runners
/// are let go. Answers the replies to `queued`.
async fn queued_together(
    app: &TestApp,
    paths: &[String],
    queued: &[(usize, serde_json::Value)],
    meanwhile: &'static str,
) -> Vec<crate::support::Reply> {
    let root = app.root();
    let base = stats(app);
    let mut holder = connection(app).await;
    let mut blocker = holder.begin().await.unwrap();
    sqlx::query(
        "SELECT c.id FROM credentials c JOIN users u ON u.id = c.user_id \
         WHERE u.ext_id IN ('u0', 'u1') FOR UPDATE OF c",
    )
    .fetch_all(&mut *blocker)
    .await
    .unwrap();

    let comment = |i: usize| json!({"modificationComment": format!("after {i}")});
    let first = app.patch(&paths[0], &root, comment(0));
    let second = async {
        until(app, "the first runner is blocked", |s| {
            s.statements == base.statements + 1
        })
        .await;
        app.patch(&paths[1], &root, comment(1)).await
    };
    let waiting = async {
        until(app, "the second runner is blocked", |s| {
            s.statements == base.statements + 2
        })
        .await;
        let requests = queued
            .iter()
            .map(|(i, body)| app.patch(&paths[*i], &root, body.clone()));
        join_all(requests).await
    };
    let release = async {
        until(app, "the PATCHes queued", |s| s.waiting == queued.len()).await;
        if !meanwhile.is_empty() {
            let mut other = connection(app).await;
            sqlx::query(meanwhile).execute(&mut other).await.unwrap();
        }
        blocker.rollback().await.unwrap();
    };
    let (first, second, queued, ()) = tokio::join!(first, second, waiting, release);
    first.expect(200);
    second.expect(200);
    queued
}

/// Writes that can fail for reasons of their own run alone, so they cannot fail other
/// callers' batches: a new policy deleted after the PATCH checked it (409 for that PATCH
/// alone), and a stored timestamp of year 10000 (written before years were checked, which
/// PostgreSQL cannot read back from a batch's JSON). No batch splits; the others are written.
#[sqlx::test(migrations = false)]
async fn a_write_that_can_fail_runs_alone_and_splits_no_batch(pool: sqlx::PgPool) {
    let app = TestApp::new(Store::from(pool)).await;
    let paths = with_tickets(&app, 6).await;
    ticket_policy(&app, "doomed").await;
    let root = app.root();
    let mut other = connection(&app).await;
    sqlx::query(
        "UPDATE credentials SET validity_to = '10000-01-01T23:58:59Z' \
         WHERE ext_id = 't-5'",
    )
    .execute(&mut other)
    .await
    .unwrap();

    let comment = |i: usize| json!({"modificationComment": format!("after {i}")});
    let queued = [
        (2, json!({"policyExtId": "doomed"})),
        (3, comment(3)),
        (4, comment(4)),
        (5, comment(5)),
    ];
    let replies = queued_together(
        &app,
        &paths,
        &queued,
        "DELETE FROM policies WHERE ext_id = 'doomed'",
    )
    .await;
    let [doomed, third, fourth, odd]: [_; 4] = replies.try_into().unwrap();
    doomed.expect_error(409, "errors.undeletedDependencies");
    third.expect(200);
    fourth.expect(200);
    odd.expect(200);
    assert_eq!(stats(&app).splits, 0, "{:?}", stats(&app));
    assert_metric(&app, "idm_db_write_batch_splits_total", 0).await;

    let unchanged = app.get(&paths[2], &root).await.expect(200).body;
    assert_eq!(unchanged["version"], 1);
    assert_eq!(unchanged["policyExtId"], "default-TicketPolicy");
    assert_eq!(app.history_len("acme", "u2", "t-2").await, 1);
    for i in [0, 1, 3, 4, 5] {
        let got = app.get(&paths[i], &root).await.expect(200).body;
        assert_eq!(
            (got["version"].as_i64(), got["modificationComment"].as_str()),
            (Some(2), Some(format!("after {i}").as_str()))
        );
    }
}

/// A batch whose statement fails as a whole all the same (here a constraint the server
/// does not know of, standing for what it cannot foresee) is rerun one write at a time:
/// only the PATCH at fault fails, the others of its batch are written.
#[sqlx::test(migrations = false)]
async fn a_failed_batch_fails_only_the_patch_at_fault(pool: sqlx::PgPool) {
    let app = TestApp::new(Store::from(pool)).await;
    let paths = with_tickets(&app, 5).await;
    let root = app.root();
    let comment = |i: usize| json!({"modificationComment": format!("after {i}")});
    let queued = [
        (2, json!({"modificationComment": "refused"})),
        (3, comment(3)),
        (4, comment(4)),
    ];
    let mut other = connection(&app).await;
    sqlx::query(
        "ALTER TABLE credentials ADD CONSTRAINT no_refused \
         CHECK (modification_comment IS DISTINCT FROM 'refused') NOT VALID",
    )
    .execute(&mut other)
    .await
    .unwrap();
    let replies = queued_together(&app, &paths, &queued, "").await;
    let [refused, third, fourth]: [_; 3] = replies.try_into().unwrap();
    assert!(refused.status.is_server_error(), "{:?}", refused.body);
    third.expect(200);
    fourth.expect(200);
    assert!(stats(&app).splits >= 1, "{:?}", stats(&app));

    assert_eq!(
        app.get(&paths[2], &root).await.expect(200).body["version"],
        1
    );
    assert_eq!(app.history_len("acme", "u2", "t-2").await, 1);
    for i in [0, 1, 3, 4] {
        let got = app.get(&paths[i], &root).await.expect(200).body;
        assert_eq!(
            (got["version"].as_i64(), got["modificationComment"].as_str()),
            (Some(2), Some(format!("after {i}").as_str()))
        );
    }
}

/// `IDM_DB_BATCH=1`: every PATCH in a statement of its own, however many wait.
#[sqlx::test(migrations = false)]
async fn a_batch_size_of_one_writes_each_patch_alone(pool: sqlx::PgPool) {
    let store = PgStore::new(Pool::new(pool), 1);
    let app = TestApp::new(Store::Postgres(store)).await;
    let paths = with_tickets(&app, 16).await;
    let root = app.root();
    let before = stats(&app);
    let requests = paths
        .iter()
        .map(|path| app.patch(path, &root, json!({"modificationComment": "alone"})));
    let replies = join_all(requests).await;
    assert!(replies.iter().all(|r| r.status == 200));
    let after = stats(&app);
    assert_eq!(
        (
            after.statements - before.statements,
            after.rows - before.rows
        ),
        (16, 16)
    );
}

fn read_stats(app: &TestApp) -> ReadBatchStats {
    app.store
        .read_batch_stats()
        .expect("a PostgreSQL store batches its reads")
}

/// 40 GETs and PATCHes at once, by type and by extId, of credentials that exist and of
/// ones that do not: fewer read statements than reads, and every request answered with
/// its own credential (or its own 404), as if alone.
#[sqlx::test(migrations = false)]
async fn concurrent_reads_share_statements(pool: sqlx::PgPool) {
    let app = TestApp::new(Store::from(pool)).await;
    let paths = with_tickets(&app, 24).await;
    let root = app.root();
    // Three OATH credentials of one user: a read by extId must find its own.
    let oath = |ext_id: &str| user_path("acme", "u0", &format!("oath-credentials/{ext_id}"));
    for (ext_id, label) in [("o-a", "alpha"), ("o-b", "beta"), ("o-c", "gamma")] {
        app.post(
            &user_path("acme", "u0", "oath-credentials"),
            &root,
            json!({"extId": ext_id, "label": label}),
        )
        .await
        .expect(201);
    }
    let before = read_stats(&app);

    let gets = paths.iter().map(|path| app.get(path, &root));
    let patches = paths[..8]
        .iter()
        .enumerate()
        .map(|(i, path)| app.patch(path, &root, json!({"modificationComment": format!("c{i}")})));
    let oath_paths = ["o-a", "o-b", "o-c"].map(oath);
    let oaths = oath_paths.iter().map(|path| app.get(path, &root));
    let missing = [
        oath("o-none"),
        user_path("acme", "u1", "oath-credentials/o-a"),
        user_path("acme", "u0", "password"),
        user_path("acme", "nobody", "ticket"),
        user_path("other", "u0", "ticket"),
    ];
    let (gets, patches, oaths, missing) = tokio::join!(
        join_all(gets),
        join_all(patches),
        join_all(oaths),
        join_all(missing.iter().map(|path| app.get(path, &root)))
    );

    for (i, reply) in gets.into_iter().enumerate() {
        let got = reply.expect(200).body;
        assert_eq!(got["extId"], format!("t-{i}"), "{got}");
    }
    for (i, reply) in patches.into_iter().enumerate() {
        let got = reply.expect(200).body;
        assert_eq!(
            (got["extId"].as_str(), got["modificationComment"].as_str()),
            (
                Some(format!("t-{i}").as_str()),
                Some(format!("c{i}").as_str())
            )
        );
    }
    for (reply, (ext_id, label)) in
        oaths
            .into_iter()
            .zip([("o-a", "alpha"), ("o-b", "beta"), ("o-c", "gamma")])
    {
        let got = reply.expect(200).body;
        assert_eq!(
            (got["extId"].as_str(), got["label"].as_str()),
            (Some(ext_id), Some(label)),
            "{got}"
        );
    }
    for reply in missing {
        assert_eq!(reply.status, 404, "{:?}", reply.body);
    }

    let after = read_stats(&app);
    let (statements, reads) = (
        after.statements - before.statements,
        after.reads - before.reads,
    );
    assert!(reads >= 40, "every read went through the batches: {reads}");
    assert!(
        statements < reads / 2,
        "concurrent reads share statements: {statements} for {reads} reads"
    );

    assert_metric(&app, "idm_db_read_batch_rows_total", after.reads).await;
}
