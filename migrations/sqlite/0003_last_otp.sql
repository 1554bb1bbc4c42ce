-- The moving factor of the last one-time code an OATH login accepted (the HOTP counter
-- value or the TOTP time step): a code at or before it is refused, so no code works
-- twice. Written only by logins, under the row lock, never by a PATCH.
ALTER TABLE credentials ADD COLUMN last_otp INTEGER;
