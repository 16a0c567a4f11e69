"""The relay: delivers the webhooks kept in the inbox to their workflows, whatever was down."""
