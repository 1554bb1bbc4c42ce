-- Generic credentials: every client gets a default GenericCredentialPolicy, as a new
-- client does (service::directory::create_client), so that creating one needs no policy.
INSERT INTO policies (id, client_id, ext_id, name, description, policy_type, default_policy,
                      parameters, version, created, last_modified)
SELECT gen_random_uuid()::text, c.id, 'default-GenericCredentialPolicy',
       'Default GenericCredentialPolicy', 'Created with the client', 'GenericCredentialPolicy',
       TRUE, '{}', 1, now(), now()
FROM clients c
WHERE NOT EXISTS (SELECT 1 FROM policies p
                  WHERE p.client_id = c.id AND p.policy_type = 'GenericCredentialPolicy' AND p.default_policy)
  AND NOT EXISTS (SELECT 1 FROM policies p
                  WHERE p.client_id = c.id AND p.ext_id = 'default-GenericCredentialPolicy');
