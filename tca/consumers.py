from orders.roles import ANALYST, SUPERVISOR, has_role
from smarttrading import streams
from smarttrading.consumers import StreamConsumer

from .models import TcaJob
from .payloads import job_payload


class TcaJobsConsumer(StreamConsumer):
    """Progress of the desk's report and comparison jobs, for analysts and supervisors."""

    def allowed(self, user) -> bool:
        return has_role(user, ANALYST) or has_role(user, SUPERVISOR)

    def group_name(self) -> str:
        return streams.TCA_JOBS_GROUP

    def snapshot(self) -> dict:
        return {"jobs": [job_payload(j) for j in TcaJob.objects.select_related("requested_by")[:50]]}
