//! Migrations that change data, run on a database as an earlier release left it.

use idm_credentials::store::Store;
use serde_json::json;
use sqlx::migrate::Migrator;

use crate::support::{TestApp, user_path};

static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");

/// A client as a release before generic credentials stored it: no GenericCredentialPolicy.
const OLD_CLIENT: &str = "INSERT INTO clients (id, ext_id, name, version, created, last_modified) \
     VALUES ('c-old', 'oldco', 'Old Co', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')";

/// After 0004 the old client has its default GenericCredentialPolicy, a generic
/// credential can be created without naming a policy, and the policy reads back as any
/// other; running the same SQL again adds nothing.
async fn check_backfill(app: &TestApp, count: impl AsyncFn() -> i64) {
    assert_eq!(count().await, 1);
    let root = app.root();
    let policy = app
        .get(
            "/nevisidm/api/core/v1/oldco/policies/default-GenericCredentialPolicy",
            &root,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (
            policy["policyType"].as_str(),
            policy["defaultPolicy"].as_bool()
        ),
        (Some("GenericCredentialPolicy"), Some(true))
    );
    assert!(policy["created"].is_string(), "{policy}");
    app.add_user("oldco", "ann").await;
    let created = app
        .post(
            &user_path("oldco", "ann", "generic-credentials"),
            &root,
            json!({"identification": "x"}),
        )
        .await
        .expect(201);
    assert_eq!(
        created.body["policyExtId"],
        "default-GenericCredentialPolicy"
    );
}

/// Brings `$pool` to migration 3 with [`OLD_CLIENT`] in it, then runs the rest, runs
/// 0004 (`$again`) once more, and checks the backfill through the API.
macro_rules! backfill_then_check {
    ($pool:expr, $migrator:expr, $again:expr) => {{
        let pool = $pool;
        $migrator.run_to(3, &pool).await.unwrap();
        sqlx::query(OLD_CLIENT).execute(&pool).await.unwrap();
        $migrator.run(&pool).await.unwrap();
        sqlx::raw_sql($again).execute(&pool).await.unwrap();
        let count = async || -> i64 {
            sqlx::query_scalar(
                "SELECT count(*) FROM policies WHERE policy_type = 'GenericCredentialPolicy'",
            )
            .fetch_one(&pool)
            .await
            .unwrap()
        };
        let app = TestApp::new(Store::from(pool.clone())).await;
        check_backfill(&app, count).await;
    }};
}

#[sqlx::test(migrations = false)]
async fn generic_policies_are_backfilled_on_postgres(pool: sqlx::PgPool) {
    backfill_then_check!(
        pool,
        POSTGRES,
        include_str!("../../migrations/postgres/0004_generic_credential_policy.sql")
    );
}

#[tokio::test]
async fn generic_policies_are_backfilled_on_sqlite() {
    let file = std::env::temp_dir().join(format!("idm-migrations-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    backfill_then_check!(
        pool,
        SQLITE,
        include_str!("../../migrations/sqlite/0004_generic_credential_policy.sql")
    );
    // The app still holds connections: unlinking the open file is enough.
    let _ = std::fs::remove_file(&file);
}
