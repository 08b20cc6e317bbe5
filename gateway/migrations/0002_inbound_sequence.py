from django.db import migrations, models


def inbound_seq_from_handled(apps, schema_editor):
    """Each session's last handled message in; one stored but never handled is dropped, so the
    client is asked to resend it (the gateway rewinds to inbound_seq + 1 at start-up)."""
    FixSession = apps.get_model("gateway", "FixSession")
    FixMessage = apps.get_model("gateway", "FixMessage")
    FixMessage.objects.filter(direction="IN", state="PENDING").delete()
    for session in FixSession.objects.all():
        last = FixMessage.objects.filter(session=session, direction="IN").order_by("-id").first()
        if last is not None:
            FixSession.objects.filter(pk=session.pk).update(inbound_seq=last.seq_num)


class Migration(migrations.Migration):
    dependencies = [
        ("gateway", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="fixsession",
            name="inbound_seq",
            field=models.PositiveIntegerField(
                default=0, help_text="MsgSeqNum of the last application message in, as committed (0 after a reset)"
            ),
        ),
        migrations.RunPython(inbound_seq_from_handled, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="fixmessage",
            name="gateway_fix_state_885da0_idx",
        ),
        migrations.RemoveField(
            model_name="fixmessage",
            name="state",
        ),
    ]
