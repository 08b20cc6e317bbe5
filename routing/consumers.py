from orders.models import PARENT_FINISHED_STATUSES, PARENT_LIVE_STATUSES, ParentOrder
from orders.roles import SUPERVISOR, has_role
from smarttrading import streams
from smarttrading.consumers import StreamConsumer

from .payloads import fill_payload, parent_payload, session_payload
from .selectors import (
    faulted_sessions,
    parent_fill_count,
    parent_panel_series,
    parent_recent_fills,
    parent_reconciliation,
    parent_schedule,
    parent_venue_breakdown,
    session_scorecard,
    venue_board,
)

RECENT_FINISHED = 200


class ExecutionConsumer(StreamConsumer):
    """Every parent order, for the supervisor overview."""

    def allowed(self, user) -> bool:
        return has_role(user, SUPERVISOR)

    def group_name(self) -> str:
        return streams.EXECUTION_GROUP

    def snapshot(self) -> dict:
        """Every live parent, and the latest finished ones."""
        parents = ParentOrder.objects.select_related("instrument")
        live = list(parents.filter(status__in=PARENT_LIVE_STATUSES).order_by("-id"))
        finished = parents.filter(status__in=PARENT_FINISHED_STATUSES).order_by("-id")[:RECENT_FINISHED]
        return {
            "parents": [parent_payload(p) for p in [*live, *finished]],
            "faulted_sessions": [session_payload(s) for s in faulted_sessions()],
            "venues": venue_board(),
        }


class ParentConsumer(StreamConsumer):
    """One parent's fills, progress and market, for the parent panel."""

    def allowed(self, user) -> bool:
        self.parent_id = int(self.scope["url_route"]["kwargs"]["parent_id"])
        return has_role(user, SUPERVISOR) and ParentOrder.objects.filter(pk=self.parent_id).exists()

    def group_name(self) -> str:
        return streams.parent_group(self.parent_id)

    def snapshot(self) -> dict:
        parent = ParentOrder.objects.select_related("instrument").get(pk=self.parent_id)
        return {
            "parent": parent_payload(parent),
            "fills": [fill_payload(f) for f in reversed(parent_recent_fills(parent))],
            "fill_count": parent_fill_count(parent),  # all of them; "fills" holds the latest
            "schedule": parent_schedule(parent),
            "venues": parent_venue_breakdown(parent),
            "reconciliation": parent_reconciliation(parent),
            "scorecard": session_scorecard(parent),
            **parent_panel_series(parent),
        }
