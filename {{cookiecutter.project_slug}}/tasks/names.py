"""The names of the core tasks, as nets' records, datasets and the tasks registry spell them.

Kept apart from the tasks themselves, so that naming a task imports none. A
task added later may keep its name here or beside its own shared code.
"""

CLASSIFICATION = "classification"
REGRESSION = "regression"
