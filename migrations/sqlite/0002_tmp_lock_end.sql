-- When a temporary lock set after login failures ends (tmpLockingDuration): the lock
-- ends by itself at this time, read by read, without a background job.
ALTER TABLE credentials ADD COLUMN tmp_lock_end TEXT;
