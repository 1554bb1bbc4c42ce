-- Generic credentials: every client gets a default GenericCredentialPolicy, as a new
-- client does (service::directory::create_client), so that creating one needs no policy.
INSERT INTO policies (id, client_id, ext_id, name, description, policy_type, default_policy,
                      parameters, version, created, last_modified)
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a'
             || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
       c.id, 'default-GenericCredentialPolicy',
       'Default GenericCredentialPolicy', 'Created with the client', 'GenericCredentialPolicy',
       1, '{}', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM clients c
WHERE NOT EXISTS (SELECT 1 FROM policies p
                  WHERE p.client_id = c.id AND p.policy_type = 'GenericCredentialPolicy' AND p.default_policy)
  AND NOT EXISTS (SELECT 1 FROM policies p
                  WHERE p.client_id = c.id AND p.ext_id = 'default-GenericCredentialPolicy');
