-- A movement the provider refused for good is settled `failed`, with the provider's reason:
-- no ledger row stays `pending` once its answer is known.
ALTER TABLE ledger ADD COLUMN failure text;
