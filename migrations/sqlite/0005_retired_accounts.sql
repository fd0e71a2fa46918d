-- A holder replaced in the office registry: their account is retired, not deleted, so the audit
-- log keeps pointing at it; it can no longer sign in, and the office gets its new holder's account.
alter table users add column retired_at bigint;

-- One active account per office; retired accounts keep the office they held.
drop index users_office;
create unique index users_office on users(office_id) where office_id is not null and retired_at is null;
