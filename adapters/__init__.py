"""The outside world behind protocols: payment gateways, carriers and e-mail."""
