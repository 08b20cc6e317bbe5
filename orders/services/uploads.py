"""Order file uploads: accept the file, then a Celery task validates and creates, with progress.

The task is resumable: each chunk of orders commits together with the upload's
``created_rows`` counter, so a redelivered task (worker killed) carries on where the
last commit left off, and error rows are unique per (upload, row, column).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from smarttrading import streams

from ..domain.files import FileRefused, read_order_file
from ..models import UPLOAD_FINISHED_STATUSES, Source, Upload, UploadError
from ..payloads import upload_payload
from .intake import intake_context, intake_parse, orders_accept

logger = logging.getLogger(__name__)

CHUNK_ROWS = 5_000
# Workers that may begin an upload before it is given up as FAILED: a crash mid-file is
# resumed, a file that takes the worker down every time is not tried for ever.
MAX_ATTEMPTS = 3


# The column a refused row should change, by the risk check that refused it.
RISK_CHECK_COLUMNS = {
    "price_collar": "limit_price",
    "max_order_quantity": "quantity",
    "max_order_notional": "quantity",
    "restricted_instrument": "instrument",
    "reference_price": "instrument",
}


def upload_create(*, uploaded_by, file_name: str, content: bytes, mode: str) -> Upload:
    """Store the file as received and queue its processing."""
    from ..tasks import upload_process

    errors = {}
    if not file_name.lower().endswith((".csv", ".xlsx")):
        errors["file"] = "must be a .csv or .xlsx file"
    elif len(content) > settings.MAX_UPLOAD_BYTES:
        errors["file"] = f"must be at most {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB"
    elif not content:
        errors["file"] = "the file is empty"
    if mode not in Upload.Mode.values:
        errors["mode"] = f"must be one of {', '.join(Upload.Mode.values)}"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        upload = Upload.objects.create(uploaded_by=uploaded_by, file_name=file_name[-200:], content=content, mode=mode)
        transaction.on_commit(lambda: upload_process.delay(upload.pk))
    return upload


def upload_process(*, upload_id: int) -> Upload:
    """Validate every row, then create the orders (all, or only the good ones, as the user chose).

    Every upload ends DONE, REFUSED or FAILED: an error of ours ends it FAILED with what was
    created before it, and so does a file that stopped the worker on each of its attempts (a
    redelivered task resumes; it does not go round for ever). A database that cannot serve
    now is raised, for the task to retry."""
    Upload.objects.filter(pk=upload_id).update(attempts=F("attempts") + 1)  # committed before any work
    upload = Upload.objects.select_related("uploaded_by").get(pk=upload_id)
    if upload.is_finished:
        return upload
    if upload.attempts > MAX_ATTEMPTS:
        return _finish(upload, Upload.Status.FAILED, _failure(upload, f"stopped the worker {MAX_ATTEMPTS} times"))
    try:
        return _upload_run(upload)
    except OperationalError:
        raise
    except Exception as exc:
        logger.exception("upload %s failed", upload.pk)
        upload.refresh_from_db()
        return _finish(upload, Upload.Status.FAILED, _failure(upload, f"an internal error ({type(exc).__name__})"))


def uploads_watchdog() -> list[int]:
    """Hand again to a worker every unfinished upload silent for a while: its task was lost
    with Redis (a killed worker's is redelivered by the broker itself). Returns their ids."""
    from ..tasks import upload_process as upload_task

    silent = Upload.objects.exclude(status__in=UPLOAD_FINISHED_STATUSES).filter(
        updated_at__lt=timezone.now() - timedelta(seconds=settings.BACKGROUND_JOB_STALLED_S)
    )
    revived = list(silent.values_list("pk", flat=True))
    for upload_id in revived:
        Upload.objects.filter(pk=upload_id).update(updated_at=timezone.now())  # one revival per silence
        upload_task.delay(upload_id)
    if revived:
        logger.warning("uploads %s were silent: queued again", revived)
    return revived


def _failure(upload: Upload, cause: str) -> str:
    return (
        f"Processing stopped on {cause}; {upload.accepted + upload.rejected:,} orders had been created. "
        f"Upload the rows that are not in your blotter again (their client_order_ids are safe to repeat)."
    )


def _upload_run(upload: Upload) -> Upload:
    try:
        rows = read_order_file(upload.file_name, bytes(upload.content), max_rows=settings.MAX_UPLOAD_ROWS)
    except FileRefused as exc:
        return _finish(upload, Upload.Status.REFUSED, f"File refused: {exc}")

    _progress(upload, status=Upload.Status.VALIDATING, total_rows=len(rows), error_rows=0)
    requests, row_numbers = [], []
    context = intake_context(submitted_by=upload.uploaded_by)
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = rows[start : start + CHUNK_ROWS]
        batch = intake_parse(submitted_by=upload.uploaded_by, rows=[r.values for r in chunk], context=context)
        requests.extend(request for _, request in batch.requests)
        row_numbers.extend(chunk[index].number for index, _ in batch.requests)
        UploadError.objects.bulk_create(
            [
                UploadError(upload=upload, row=chunk[p.index].number, column=e.column, reason=e.reason[:300])
                for p in batch.problems
                for e in p.errors
            ],
            ignore_conflicts=True,
        )
        upload.error_rows += len(batch.problems)
        _progress(upload, validated_rows=start + len(chunk), error_rows=upload.error_rows)

    if upload.error_rows and upload.mode == Upload.Mode.ALL_OR_NOTHING:
        return _finish(
            upload,
            Upload.Status.REFUSED,
            f"{upload.error_rows:,} of {len(rows):,} rows have errors; nothing was created (all or nothing)",
        )

    _progress(upload, status=Upload.Status.CREATING)
    step = len(requests) if upload.mode == Upload.Mode.ALL_OR_NOTHING else CHUNK_ROWS
    for start in range(upload.created_rows, len(requests), step):
        chunk = requests[start : start + step]
        with transaction.atomic():
            results = orders_accept(
                submitted_by=upload.uploaded_by, requests=chunk, source=Source.UPLOAD, upload=upload, context=context
            )
            conflicts = [
                UploadError(
                    upload=upload, row=row_numbers[start + i], column="client_order_id", reason=r.conflict[:300]
                )
                for i, r in enumerate(results)
                if r.conflict
            ]
            refused = bool(conflicts) and upload.mode == Upload.Mode.ALL_OR_NOTHING
            if refused:
                transaction.set_rollback(True)
            else:  # one transaction with the orders: a redelivered task resumes from created_rows
                refusals = [
                    UploadError(
                        upload=upload,
                        row=row_numbers[start + i],
                        column=RISK_CHECK_COLUMNS.get(r.reject_check, ""),
                        reason=r.reject_reason[:300],
                        outcome=UploadError.Outcome.REJECTED,
                        order_id=r.order_id,
                    )
                    for i, r in enumerate(results)
                    if r.created and r.reject_reason
                ]
                UploadError.objects.bulk_create([*conflicts, *refusals], ignore_conflicts=True)
                created = [r for r in results if r.created]
                rejected = len(refusals)
                Upload.objects.filter(pk=upload.pk).update(
                    updated_at=timezone.now(),
                    created_rows=start + len(chunk),
                    accepted=F("accepted") + len(created) - rejected,
                    rejected=F("rejected") + rejected,
                    duplicates=F("duplicates") + len(results) - len(created) - len(conflicts),
                    error_rows=F("error_rows") + len(conflicts),
                )
        if refused:
            UploadError.objects.bulk_create(conflicts, ignore_conflicts=True)
            return _finish(
                upload,
                Upload.Status.REFUSED,
                f"{len(conflicts):,} rows reuse a client_order_id for a different order; nothing was created "
                "(all or nothing)",
            )
        upload.refresh_from_db()
        _publish(upload)

    # Counted from the stored errors: a task resumed after a crash re-validates from zero.
    skipped = UploadError.objects.filter(upload=upload, outcome=UploadError.Outcome.SKIPPED)
    error_rows = skipped.values("row").distinct().count()
    if error_rows != upload.error_rows:
        _progress(upload, error_rows=error_rows)
    parts = [f"{upload.accepted:,} orders accepted"]
    if upload.duplicates:
        parts.append(f"{upload.duplicates:,} already known (client_order_id repeats)")
    if upload.rejected:
        parts.append(f"{upload.rejected:,} rejected by pre-trade risk checks")
    if upload.error_rows:
        parts.append(f"{upload.error_rows:,} rows with errors skipped")
    return _finish(upload, Upload.Status.DONE, "; ".join(parts))


def _progress(upload: Upload, **fields) -> None:
    fields["updated_at"] = timezone.now()
    for name, value in fields.items():
        setattr(upload, name, value)
    Upload.objects.filter(pk=upload.pk).update(**fields)
    _publish(upload)


def _finish(upload: Upload, status: str, message: str) -> Upload:
    _progress(upload, status=status, message=message[:300], finished_at=timezone.now())
    return upload


def _publish(upload: Upload) -> None:
    streams.publish(
        streams.user_orders_group(upload.uploaded_by_id), {"type": "upload", "upload": upload_payload(upload)}
    )
