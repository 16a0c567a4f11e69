-- A task's place on the operators' list: a case that met the policy's recommendations (the
-- evidence that "speeds up" a claim, the note in a return parcel) comes before the others.
ALTER TABLE operator_tasks ADD COLUMN priority smallint NOT NULL DEFAULT 0;
