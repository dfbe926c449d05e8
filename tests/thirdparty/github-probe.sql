-- SPDX-License-Identifier: MIT
-- The GitHub consumer's state as one JSON document, for hookreplay's
-- probe:
--   psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p PORT -U postgres \
--        -d DB -f github-probe.sql
-- "applied": delivery id (X-GitHub-Delivery, hookreplay's event id for
-- GitHub) -> activity rows it wrote, keys in first-applied order
-- (json_object_agg keeps the order; jsonb would sort the keys). The
-- tables follow for people and for tests: GitHub's mock API serves no
-- truth to map them onto, so the probe maps no collections.
select json_build_object(
  'applied', (select coalesce(json_object_agg(delivery_id, n order by first),
                              '{}')
              from (select delivery_id, count(*) as n, min(id) as first
                    from activity group by delivery_id) as a),
  'issues', (select coalesce(json_agg(i order by node_id), '[]')
             from (select node_id, number, title, state, comments_seen,
                          updated_at from issues) as i),
  'pull_requests', (select coalesce(json_agg(p order by node_id), '[]')
                    from (select node_id, number, title, state, merged,
                                 updated_at from pull_requests) as p));
