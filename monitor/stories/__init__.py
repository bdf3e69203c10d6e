"""Stories: one alert per development. Which story an alerting item joins, whether it alerts
as the story's first item or an update, and why (pure: values in, a StoryDecision out).

The pipeline reads a seed's recent story members from the store, calls `cluster.assign`, and
writes the decision back in the same transaction.

May import: monitor core, config and relevance (its name matching and semantic signal).
"""
