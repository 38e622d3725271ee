"""Refuses answers that would render a broken project, before anything is written.

The checks are ``local_extensions.answer_problems``, which cookiecutter already ran once the prompts
were answered; this hook refuses what skipped the prompts (a replay file, an edited context).
"""

import json
import sys

PROBLEMS = json.loads(r"""{{ answer_problems(cookiecutter) | tojson }}""")

if __name__ == "__main__":
    for problem in PROBLEMS:
        print(f"ERROR: {problem}", file=sys.stderr)
    sys.exit(1 if PROBLEMS else 0)
