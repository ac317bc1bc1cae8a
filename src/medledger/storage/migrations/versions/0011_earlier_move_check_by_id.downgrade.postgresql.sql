-- 0010's statement-level check as it was.
CREATE OR REPLACE FUNCTION medledger_check_earlier_moves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM medledger_refuse_unbalanced_move(t.id)
    FROM ledger_transactions t
    WHERE t.id IN (SELECT added.transaction_id FROM added)
      AND t.xmin <> pg_current_xact_id()::xid
      AND medledger_is_move(t);
    RETURN NULL;
END $$;
