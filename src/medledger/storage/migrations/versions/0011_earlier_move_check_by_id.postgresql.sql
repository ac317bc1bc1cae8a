-- Entries added to a move written by an earlier database transaction: its row found by primary
-- key (see 0011_earlier_move_check_by_id.py), not by reading ledger_transactions whole.
CREATE OR REPLACE FUNCTION medledger_check_earlier_moves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM medledger_refuse_unbalanced_move(t.id)
    FROM ledger_transactions t
    WHERE t.id = ANY (ARRAY(SELECT DISTINCT added.transaction_id FROM added))
      AND t.xmin <> pg_current_xact_id()::xid
      AND medledger_is_move(t);
    RETURN NULL;
END $$;
