"""Relevance: seeds -> topic profiles, and (item, profile) -> a scored, explained match.

`seeds` reads seed files, `langid` guesses languages, `textmatch` tokenises and finds aliases,
`lexicon` holds the shipped catalogue (data/), `topics` builds a profile from a seed,
`score` scores an item (pure), `evaluate` computes the metrics `replay --labels` prints.

May import: monitor core and config.
"""
