-- pgbench: what batching would allow. Eight PATCHes of one client's passwords per
-- transaction, with the server's two round trips: one read of the eight credentials (the
-- columns of Store::find_credential) and one statement that writes all eight, each
-- version-checked, with their history rows (as postgres::update_credential does for one).
-- The server gathers concurrent reads and writes into shared statements (store::read_batch,
-- store::write_batch) as large as the load makes them; this row shows what a batch of eight
-- costs the database. The eight users are distinct (one
-- from each eighth of the users), and the write locks its rows in id order, so concurrent
-- batches wait for each other instead of deadlocking: every transaction writes 8 rows.
\set c random(0, :clients - 1)
\set s (:users / 8)
\set u random(0, :s - 1)
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
 WHERE cl.ext_id = 'bench-c' || :c::text AND c.type = 'Password'
 AND u.ext_id = ANY(ARRAY(SELECT 'u' || (:u + k * :s)::text FROM generate_series(0, 7) AS k));
WITH input AS (SELECT c.id, c.version, c.user_id FROM clients cl
 JOIN users u ON u.client_id = cl.id
 JOIN credentials c ON c.user_id = u.id AND c.client_id = cl.id
 WHERE cl.ext_id = 'bench-c' || :c::text AND c.type = 'Password'
 AND u.ext_id = ANY(ARRAY(SELECT 'u' || (:u + k * :s)::text FROM generate_series(0, 7) AS k))
 ORDER BY c.id FOR UPDATE OF c),
updated AS (UPDATE credentials c SET modification_comment = 'pgbench-' || :r::text,
 version = c.version + 1, last_modified = now()
 FROM input i WHERE c.id = i.id AND c.version = i.version RETURNING c.id, c.user_id, c.version)
 INSERT INTO credential_history (id, credential_id, user_id, version, at, actor, action, changes)
 SELECT gen_random_uuid()::text, id, user_id, version, now(), 'bench', 'patch',
 '[{"field":"modificationComment","old":"pgbench-previous","new":"pgbench-' || :r::text || '"}]'
 FROM updated;
