-- The journal is append-only: corrections are new transactions, never edits.
CREATE FUNCTION medledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER ledger_entries_no_change BEFORE UPDATE OR DELETE ON ledger_entries
FOR EACH ROW EXECUTE FUNCTION medledger_refuse_change();
CREATE TRIGGER ledger_transactions_no_change BEFORE UPDATE OR DELETE ON ledger_transactions
FOR EACH ROW EXECUTE FUNCTION medledger_refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
FOR EACH STATEMENT EXECUTE FUNCTION medledger_refuse_change();

-- A move (write-off, cancellation, credit application, and the reversal of one) nets to zero.
-- Checked at commit, once all of the transaction's entries are in.
CREATE FUNCTION medledger_check_move_nets_to_zero() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    move_kind text;
    net bigint;
BEGIN
    SELECT CASE WHEN t.kind = 'reversal' THEN r.kind ELSE t.kind END INTO move_kind
    FROM ledger_transactions t LEFT JOIN ledger_transactions r ON r.id = t.reverts_id
    WHERE t.id = NEW.transaction_id;
    IF move_kind IN ('write_off', 'cancellation', 'credit_application') THEN
        SELECT COALESCE(SUM(amount_cents), 0) INTO net
        FROM ledger_entries WHERE transaction_id = NEW.transaction_id;
        IF net <> 0 THEN
            RAISE EXCEPTION 'ledger transaction % is a move but nets to % cents', NEW.transaction_id, net
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_entries_move_nets_to_zero AFTER INSERT ON ledger_entries
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION medledger_check_move_nets_to_zero();
