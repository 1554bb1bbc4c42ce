-- pgbench: the write the server sends for a PATCH that has its batch to itself:
-- store::write_batch::WRITE_BATCH with arrays of one element (keep in step with
-- src/store/write_batch.rs). bench/run puts the read of server_patch.sql (its lines up to
-- \gset, which set the variables used here) in front. Compared with server_patch.sql, the
-- row lock in id order (`locked`) and the unnest are the price of batching when nothing
-- else is waiting.
WITH input AS (
 SELECT * FROM unnest(ARRAY[:id::text]::text[], ARRAY[:version::bigint]::bigint[], ARRAY[:ext_id::text]::text[], ARRAY[NULLIF(:policy_id::text, '')]::text[], ARRAY[:state::text]::text[],
 ARRAY[NULLIF(:state_change_reason::text, '')]::text[], ARRAY[NULL]::text[], ARRAY['pgbench-' || :r::text]::text[], ARRAY[now()]::timestamptz[], ARRAY[NULLIF(:validity_from::text, '')::timestamptz]::timestamptz[],
 ARRAY[NULLIF(:validity_to::text, '')::timestamptz]::timestamptz[], ARRAY[NULL]::bigint[], ARRAY[NULL]::bigint[], ARRAY[NULL]::timestamptz[], ARRAY[NULL]::timestamptz[],
 ARRAY[:reset_count::bigint]::bigint[], ARRAY[:attributes::text]::text[], ARRAY[gen_random_uuid()::text]::text[], ARRAY[:user_id::text]::text[], ARRAY[:version::bigint + 1]::bigint[], ARRAY[now()]::timestamptz[],
 ARRAY['bench']::text[], ARRAY['patch']::text[], ARRAY['[{"field":"modificationComment","old":"pgbench-previous","new":"pgbench-' || :r::text || '"}]']::text[]) WITH ORDINALITY AS w(id, expected_version, ext_id,
 policy_id, state, state_change_reason, state_change_detail, modification_comment,
 last_modified, validity_from, validity_to, success_count, failure_count, last_success,
 last_failure, reset_count, attributes, history_id, user_id, history_version, at, actor,
 action, changes, n)),
 locked AS (SELECT c.id FROM credentials c WHERE c.id IN (SELECT id FROM input) ORDER BY c.id FOR UPDATE OF c),
 updated AS (UPDATE credentials c SET ext_id = i.ext_id, policy_id = i.policy_id,
 state = i.state, state_change_reason = i.state_change_reason,
 state_change_detail = i.state_change_detail, modification_comment = i.modification_comment,
 version = c.version + 1, last_modified = i.last_modified, validity_from = i.validity_from,
 validity_to = i.validity_to, success_count = COALESCE(i.success_count, c.success_count),
 failure_count = COALESCE(i.failure_count, c.failure_count),
 last_success = COALESCE(i.last_success, c.last_success),
 last_failure = COALESCE(i.last_failure, c.last_failure), reset_count = i.reset_count,
 attributes = i.attributes
 FROM input i JOIN locked l ON l.id = i.id
 WHERE c.id = i.id AND c.version = i.expected_version RETURNING i.n),
 history AS (INSERT INTO credential_history
 (id, credential_id, user_id, version, at, actor, action, changes)
 SELECT i.history_id, i.id, i.user_id, i.history_version, i.at, i.actor, i.action, i.changes
 FROM input i JOIN updated u ON u.n = i.n)
 SELECT n FROM updated;
