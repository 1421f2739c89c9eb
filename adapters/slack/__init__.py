"""mlq on Slack: bolt listeners in, the core's ChatAdapter out (see docs/slack.md)."""
