-- A reviewer's acceptance of a file: the declaration version they accepted, who and when. A file
-- counts as reviewed while its version is still the accepted one; any later write (a correction,
-- the region's values, a referral) bumps the version, so it waits for the reviewer again.
alter table declarations add column reviewed_version bigint;
alter table declarations add column reviewed_by text;
alter table declarations add column reviewed_at bigint;
