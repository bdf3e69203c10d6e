"""Stories: one alert per development. Which story and which event within it an alerting item
joins, whether it alerts (the story's first item, or an update bringing a new event) and why
(pure: values in, a StoryDecision out).

`entries` reduces an alerting item to what is compared (`evidence`: its names, numbers and rare
terms; `nearcopy`: its MinHash signature; its vector); `decision` is the fitted "same event?"
model (data/events.toml, written by bench/fit_events.py); `cluster.assign` decides. The pipeline
reads a seed's recent story members from the store, calls `cluster.assign`, and writes the
decision back in the same transaction.

May import: monitor core, config and relevance (its name matching and semantic signal).
"""
