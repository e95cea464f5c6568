-- Placeholder for the proxy helper's migration 0011 (issue 20's helper numbers its own 0012):
-- at merge, take the proxy branch's version of this file.
SELECT 1;
