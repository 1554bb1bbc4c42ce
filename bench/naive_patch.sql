-- pgbench: the naive PATCH transaction, 6 round trips: begin; look up the client; look up
-- the user (with its credential's id and version); version-checked UPDATE ... RETURNING;
-- insert the history row; commit. (A lost race updates no row; the server would re-read
-- and retry, this script just goes on: races are rare with 10,000 users per client.)
\set c random(0, :clients - 1)
\set u random(0, :users - 1)
\set t random(0, 1)
\set r random(1, 2000000000)
BEGIN;
SELECT id AS client_row FROM clients WHERE ext_id = 'bench-c' || :c::text \gset
SELECT u.id AS user_row, c.id AS cred_row, c.version AS cred_version
 FROM users u JOIN credentials c ON c.user_id = u.id
 WHERE u.client_id = :client_row AND u.ext_id = 'u' || :u::text
 AND c.type = (CASE :t::int WHEN 0 THEN 'Password' ELSE 'Ticket Authorization' END) \gset
UPDATE credentials SET modification_comment = 'naive-' || :r::text, version = version + 1,
 last_modified = now()
 WHERE id = :cred_row AND version = :cred_version::bigint RETURNING version;
INSERT INTO credential_history (id, credential_id, user_id, version, at, actor, action, changes)
 VALUES (gen_random_uuid()::text, :cred_row, :user_row, :cred_version::bigint + 1, now(), 'bench', 'patch',
 '[{"field":"modificationComment","old":"naive-previous","new":"naive-' || :r::text || '"}]');
COMMIT;
