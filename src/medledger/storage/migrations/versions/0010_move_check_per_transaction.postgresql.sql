-- A move (write-off, cancellation, credit application, and the reversal of one) nets to zero:
-- checked once per move instead of once per journal row (see 0010_move_check_per_transaction.py).
DROP TRIGGER ledger_entries_move_nets_to_zero ON ledger_entries;
DROP FUNCTION medledger_check_move_nets_to_zero();

CREATE FUNCTION medledger_is_move(t ledger_transactions) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN t.kind = 'reversal'
                THEN (SELECT r.kind FROM ledger_transactions r WHERE r.id = t.reverts_id)
                ELSE t.kind END IN ('write_off', 'cancellation', 'credit_application')
$$;

CREATE FUNCTION medledger_refuse_unbalanced_move(transaction_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    net bigint;
BEGIN
    SELECT COALESCE(SUM(e.amount_cents), 0) INTO net
    FROM ledger_entries e WHERE e.transaction_id = $1;
    IF net <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % is a move but nets to % cents', $1, net
            USING ERRCODE = 'check_violation';
    END IF;
END $$;

-- A move written in this database transaction: checked at commit, once all its entries are in.
CREATE FUNCTION medledger_check_new_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF medledger_is_move(NEW) THEN
        PERFORM medledger_refuse_unbalanced_move(NEW.id);
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_transactions_move_nets_to_zero
AFTER INSERT ON ledger_transactions DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
WHEN (NEW.kind IN ('write_off', 'cancellation', 'credit_application', 'reversal'))
EXECUTE FUNCTION medledger_check_new_move();

-- Entries added to a move written by an earlier database transaction (which no check above
-- will see again): checked at the end of the statement that adds them. A move row whose xmin
-- is this transaction's own id has its check queued at commit already.
CREATE FUNCTION medledger_check_earlier_moves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM medledger_refuse_unbalanced_move(t.id)
    FROM ledger_transactions t
    WHERE t.id IN (SELECT added.transaction_id FROM added)
      AND t.xmin <> pg_current_xact_id()::xid
      AND medledger_is_move(t);
    RETURN NULL;
END $$;

CREATE TRIGGER ledger_entries_earlier_move_nets_to_zero AFTER INSERT ON ledger_entries
REFERENCING NEW TABLE AS added FOR EACH STATEMENT
EXECUTE FUNCTION medledger_check_earlier_moves();
