"""What every context uses: activity options and the runner that applies them, the recorder
of a timeline, its e-mails and its operator tasks, deadline waits, and how a validator
refuses."""
