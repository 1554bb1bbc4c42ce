-- pgbench: the statements the server sends for one PATCH alone, on PostgreSQL (2 round
-- trips; under load the server gathers concurrent reads and writes into shared statements
-- instead: store::read_batch, store::write_batch).
-- 1. A read batch of one (src/store/credentials.rs fetch_one: select_credential! + BY_TYPE).
-- 2. write_batch::WRITE_ONE (src/store/write_batch.rs): the versioned UPDATE and the
--    history INSERT in one statement. The server binds the values it read in 1 and the
--    new comment; here they come from \gset. NULL binds stay NULL literals (pgbench turns
--    a NULL result into an empty string) and the login counters keep their stored values,
--    as the server does when a PATCH does not touch them.
\set c random(0, :clients - 1)
\set u random(0, :users - 1)
\set t random(0, 1)
\set r random(1, 2000000000)
SELECT c.id, c.client_id, c.user_id, u.ext_id AS user_ext_id, c.ext_id, c.type AS kind,
 c.policy_id, p.ext_id AS policy_ext_id, c.state, c.state_change_reason,
 c.state_change_detail, c.modification_comment, c.version, c.created, c.last_modified,
 c.validity_from, c.validity_to, c.success_count, c.failure_count, c.last_success,
 c.last_failure, c.reset_count, c.attributes
 FROM clients cl
 JOIN users u ON u.client_id = cl.id
 JOIN credentials c ON c.user_id = u.id AND c.client_id = cl.id
 LEFT JOIN policies p ON p.id = c.policy_id
 WHERE cl.ext_id = 'bench-c' || :c::text AND u.ext_id = 'u' || :u::text
 AND c.type = (CASE :t::int WHEN 0 THEN 'Password' ELSE 'Ticket Authorization' END) \gset
WITH updated AS (UPDATE credentials SET ext_id = :ext_id, policy_id = :policy_id, state = :state,
 state_change_reason = :state_change_reason, state_change_detail = NULL,
 modification_comment = 'pgbench-' || :r::text,
 version = version + 1, last_modified = now(), validity_from = :validity_from::timestamptz,
 validity_to = validity_to,
 success_count = COALESCE(NULL, success_count), failure_count = COALESCE(NULL, failure_count),
 last_success = COALESCE(NULL, last_success), last_failure = COALESCE(NULL, last_failure),
 reset_count = :reset_count::bigint, attributes = :attributes
 WHERE id = :id AND version = :version::bigint RETURNING id)
 INSERT INTO credential_history (id, credential_id, user_id, version, at, actor, action, changes)
 SELECT gen_random_uuid()::text, :id, :user_id, :version::bigint + 1, now(), 'bench', 'patch',
 '[{"field":"modificationComment","old":"pgbench-previous","new":"pgbench-' || :r::text || '"}]'
 FROM updated;
