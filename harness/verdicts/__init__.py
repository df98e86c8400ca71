"""What a screen means: the screen model, its prompts, the concepts and rules that read
them, and how well the rules score on a labelled screen corpus.

A verdict needs something that said no (a rule's candidate, read from the screen's
prompts only) and a flow that stopped (``harness.attempt.runner`` decides that); this
package answers the first half, on a live screen or a saved one.
"""

from __future__ import annotations

from harness.verdicts.concepts import Concept, Lexicon, script_of, widen
from harness.verdicts.prompts import PROMPT_ROLES, Role, TextBlock, read_prompts
from harness.verdicts.rules import Rule, RuleMatch, RuleSet, load_ruleset, shared_rules
from harness.verdicts.scoring import CorpusScore, LabelledScreen, score
from harness.verdicts.screen import Node, Screen, ScreenParseError

__all__ = [
    "PROMPT_ROLES",
    "Concept",
    "CorpusScore",
    "LabelledScreen",
    "Lexicon",
    "Node",
    "Role",
    "Rule",
    "RuleMatch",
    "RuleSet",
    "Screen",
    "ScreenParseError",
    "TextBlock",
    "load_ruleset",
    "read_prompts",
    "score",
    "script_of",
    "shared_rules",
    "widen",
]
