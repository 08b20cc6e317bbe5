from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone


def usage_from_orders(apps, schema_editor):
    """Each account's days so far, summed once from the orders the daily check used to sum."""
    Order = apps.get_model("orders", "Order")
    AccountDayUsage = apps.get_model("orders", "AccountDayUsage")
    totals: dict[tuple[int, object], Decimal] = {}
    accepted = Order.objects.exclude(status="REJECTED").values_list("account_id", "received_at", "risk_notional")
    for account_id, received_at, notional in accepted.iterator():
        key = (account_id, timezone.localtime(received_at).date())
        totals[key] = totals.get(key, Decimal(0)) + notional
    AccountDayUsage.objects.bulk_create(
        AccountDayUsage(account_id=account_id, day=day, gross_notional=total)
        for (account_id, day), total in totals.items()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0019_done_for_day_reports"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccountDayUsage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(help_text="Exchange date the orders were received on")),
                ("gross_notional", models.DecimalField(decimal_places=6, default=Decimal("0"), max_digits=24)),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="day_usage", to="orders.account"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("account", "day"), name="one_usage_row_per_account_day")
                ],
            },
        ),
        migrations.RunPython(usage_from_orders, migrations.RunPython.noop),
    ]
