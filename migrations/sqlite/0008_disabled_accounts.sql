-- An account an admin disabled: it keeps its row and username for the audit log, but can no longer
-- sign in, and its sessions and tokens are gone (null while the account is enabled).
alter table users add column disabled_at bigint;
