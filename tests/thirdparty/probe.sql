-- SPDX-License-Identifier: MIT
-- The consumer's state as one JSON document, for hookreplay's probe:
--   psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p PORT -U postgres \
--        -d DB -f probe.sql
-- "applied": event id -> deliveries applied, keys in first-applied
-- order (json_object_agg keeps the order; jsonb would sort the keys);
-- one array per table, each row with its own column names. coalesce
-- turns the NULL that an aggregate over no rows gives into an empty
-- value: an empty table is state too (hookreplay probes before the
-- first delivery).
select json_build_object(
  'applied', (select coalesce(json_object_agg(event_id, n order by first),
                              '{}')
              from (select event_id, count(*) as n, min(id) as first
                    from ledger group by event_id) as a),
  'customers', (select coalesce(json_agg(c order by id), '[]')
                from (select id, email, name from customers) as c),
  'subscriptions', (select coalesce(json_agg(s order by id), '[]')
                    from (select id, customer, status, cancel_at_period_end,
                                 current_period_end
                          from subscriptions) as s),
  'invoices', (select coalesce(json_agg(i order by id), '[]')
               from (select id, customer, status, amount_paid
                     from invoices) as i),
  'payment_intents', (select coalesce(json_agg(p order by id), '[]')
                      from (select id, customer, status, amount
                            from payment_intents) as p),
  'charges', (select coalesce(json_agg(c order by id), '[]')
              from (select id, status, amount_refunded, refunded
                    from charges) as c),
  'refunds', (select coalesce(json_agg(r order by id), '[]')
              from (select id, charge, status, amount from refunds) as r));
