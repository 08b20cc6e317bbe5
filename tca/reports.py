"""TCA reports: a parent's facts read (``tca.selectors``) and turned into figures (``tca.figures``)."""

from __future__ import annotations

from collections.abc import Iterable

from orders.models import ParentOrder

from .figures import DeskContribution, DeskReport, DeskTally, ParentReport, parent_figures
from .selectors import Tapes, kept_contributions, parent_facts


def parent_report(parent: ParentOrder, *, tapes: Tapes | None = None) -> ParentReport:
    """Everything TCA knows about one parent, from its fills, children, orders and the tape."""
    return parent_figures(parent_facts(parent, tapes=tapes))


def desk_report(parents: Iterable[ParentOrder], *, progress=None) -> DeskReport:
    """Many parents added up: a finished parent's kept contribution where it is current, else
    its report, let go once it is counted."""
    tapes = Tapes()
    tally = DeskTally()
    parents = list(parents)
    kept = kept_contributions(parents)
    for index, parent in enumerate(parents):
        contribution = kept.get(parent.pk)
        tally.add_contribution(contribution or DeskContribution.of(parent_report(parent, tapes=tapes)))
        if progress is not None:
            progress(index + 1, len(parents))
    return tally.report()
