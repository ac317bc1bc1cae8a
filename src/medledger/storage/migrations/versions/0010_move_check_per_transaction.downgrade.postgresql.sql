-- Back to 0001's check of a move once per journal row, at commit.
DROP TRIGGER ledger_entries_earlier_move_nets_to_zero ON ledger_entries;
DROP TRIGGER ledger_transactions_move_nets_to_zero ON ledger_transactions;
DROP FUNCTION medledger_check_earlier_moves();
DROP FUNCTION medledger_check_new_move();
DROP FUNCTION medledger_refuse_unbalanced_move(bigint);
DROP FUNCTION medledger_is_move(ledger_transactions);

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
