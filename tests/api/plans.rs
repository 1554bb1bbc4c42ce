//! PostgreSQL's plans for the server's reads on a database nobody analyzed: a fresh
//! deployment's, loaded through the API into one client. `clients` and `policies` stay
//! below autovacuum's analyze threshold for as long as the deployment lives, so a plan
//! built on the planner's guesses for them would stay too.

use idm_credentials::store::{READ_BATCH, Store};
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, PgConnection};

use crate::batch::with_tickets;
use crate::support::TestApp;

/// Users in the client: enough that reading all of them costs more than reading a few.
const USERS: usize = 120;
/// Keys per read batch.
const KEYS: usize = 4;

/// The rows of `table` that the plan node and its children read, kept or filtered out,
/// over all their loops.
fn rows_read(node: &Value, table: &str) -> f64 {
    let own = if node["Relation Name"] == table {
        let rows: f64 = [
            "Actual Rows",
            "Rows Removed by Filter",
            "Rows Removed by Index Recheck",
        ]
        .iter()
        .filter_map(|key| node[*key].as_f64())
        .sum();
        rows * node["Actual Loops"].as_f64().unwrap_or(1.0)
    } else {
        0.0
    };
    let children = node["Plans"]
        .as_array()
        .map_or(0.0, |plans| plans.iter().map(|p| rows_read(p, table)).sum());
    own + children
}

/// `EXPLAIN (ANALYZE, FORMAT JSON)` of the prepared read batch `rb` for `keys`, with the
/// custom or the generic plan (`plan_cache_mode`): the plan's root node.
async fn explain(conn: &mut PgConnection, mode: &str, keys: &str) -> Value {
    sqlx::raw_sql(AssertSqlSafe(format!("SET plan_cache_mode = {mode}")))
        .execute(&mut *conn)
        .await
        .unwrap();
    let text: String = sqlx::query_scalar("SELECT pg_temp.plan($1)::text")
        .bind(keys)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let plan: Value = serde_json::from_str(&text).unwrap();
    plan[0]["Plan"].clone()
}

/// A read batch reads its keys' rows of `users` and `credentials` and no others, by the
/// indexes, whatever the planner knows of the tables: here nothing at all, as in a fresh
/// deployment where nobody ran `ANALYZE` (it read all of `users` per batch until the
/// statement looked each key up on its own).
#[sqlx::test(migrations = false)]
async fn a_read_batch_reads_only_its_keys_rows_on_a_database_never_analyzed(pool: sqlx::PgPool) {
    let app = TestApp::new(Store::from(pool.clone())).await;
    with_tickets(&app, USERS).await;
    let analyzed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_user_tables WHERE relname IN ('clients', 'policies') \
         AND coalesce(last_analyze, last_autoanalyze) IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(analyzed, 0, "the tiny tables are never analyzed");

    let keys: Vec<Value> = (0..KEYS)
        .map(|i| {
            json!({"n": i + 1, "client": "acme", "usr": format!("u{}", i * 7),
                   "kind": "Ticket Authorization", "ext_id": null})
        })
        .collect();
    let keys = Value::Array(keys).to_string();
    let mut conn = pool.acquire().await.unwrap();
    sqlx::raw_sql(AssertSqlSafe(format!(
        "PREPARE rb(json) AS {READ_BATCH}; \
         CREATE FUNCTION pg_temp.plan(keys text) RETURNS json LANGUAGE plpgsql AS $$ \
         DECLARE plan json; BEGIN \
         EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE rb(' || quote_literal(keys) || ')' \
         INTO plan; RETURN plan; END $$"
    )))
    .execute(&mut *conn)
    .await
    .unwrap();
    for mode in ["force_custom_plan", "force_generic_plan"] {
        let plan = explain(&mut conn, mode, &keys).await;
        assert_eq!(plan["Actual Rows"], KEYS, "{mode}: every key found: {plan}");
        for table in ["users", "credentials"] {
            let read = rows_read(&plan, table);
            assert!(
                read <= KEYS as f64,
                "{mode}: the batch of {KEYS} read {read} rows of {table}: {plan:#}"
            );
        }
    }
}
